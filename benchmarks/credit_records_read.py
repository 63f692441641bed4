"""A subject's credit records read under concurrent load, against the bare SQL read, in the same run.

For a database built by benchmarks/credit_ingest.py (``--keep``; the project's own ``credit ingest``),
PostgreSQL or SQLite, over random subjects that have records (drawn uniformly from the distinct
subject keys, so a subject with dozens of records is as likely as one with one):

1. the peer: one bare ``SELECT * FROM credit_records WHERE subject_key = %s`` per subject (psycopg or
   sqlite3, no ORM, rows fetched);
2. ``services/sharing/disclosure.subject_records`` (the one redaction point: a level-3 client caller,
   ``access.client_at(3)``; records, their versions, values opened or masked, grouped by item), and
   the same for the public (``access.PUBLIC``: the records in public disclosure that day, never a
   natural person's), and the public's read **unfiltered** (the same code with the rule replaced by one
   that shows every record as public, in that worker only): what the redaction itself costs a call
   (target ≤ 10 %) — and, as the machine's noise falls unevenly on separate runs, the two alternating
   subject by subject in one process, with the time spent inside the rule summed;
3. with ``--http``: ``GET /api/v1/subjects/{code}/records`` served by ``jjjcredit serve`` with a level-3
   client key holding the ``records`` service, driven by wrk (as benchmarks/api_load.py does).

Each at 1 and at ``--concurrency`` (8) concurrent callers (processes, each its own connection), for
``--duration`` seconds after a warm-up: p50/p95/p99 latency (target p99 < 20 ms) and calls/s. Then the
database's size: credit_records and credit_record_versions (heap with TOAST, and each index, summed
over the partitions) and bytes per record.

Run: ``JJJCREDIT_SIGNING_KEY_SECRET=bench .venv/bin/python -u benchmarks/credit_records_read.py
--db postgresql://postgres@127.0.0.1:5432/bench_credit [--concurrency 8] [--duration 20] [--http]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing import Pool
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

SAMPLE = 20_000


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _reservoir(keys: Iterator[str], size: int, rng: random.Random) -> list[str]:
    sample: list[str] = []
    for n, key in enumerate(keys):
        if n < size:
            sample.append(key)
        elif (j := rng.randrange(n + 1)) < size:
            sample[j] = key
    return sample


def sample_subjects(url: str, size: int, seed: int = 7) -> tuple[list[str], int]:
    """``size`` subjects drawn uniformly from those that have records (every distinct subject key
    read once, a reservoir sample kept), and the number of records."""
    rng = random.Random(seed)
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1])
        total = conn.execute("SELECT count(*) FROM credit_records").fetchone()[0]
        keys = _reservoir((r[0] for r in conn.execute("SELECT DISTINCT subject_key FROM credit_records")), size, rng)
        conn.close()
        return sorted(keys), total
    import psycopg

    with psycopg.connect(psycopg_url(url)) as pg:
        found = pg.execute("SELECT count(*) FROM credit_records").fetchone()
        total = found[0] if found else 0
        with pg.cursor(name="subjects") as cur:
            cur.itersize = 50_000
            cur.execute("SELECT DISTINCT subject_key FROM credit_records")
            keys = _reservoir((r[0] for r in cur), size, rng)
    return sorted(keys), total


# --- the workers: one process a concurrent caller ---------------------------------------------------

_STATE: dict[str, Any] = {}  # (this worker process's: its kind, connection or engine, caller, protector)


def _init(url: str, kind: str) -> None:
    _STATE["kind"] = kind
    if kind == "bare":
        if url.startswith("sqlite"):
            _STATE["conn"] = sqlite3.connect(url.split("///", 1)[1], check_same_thread=False)
        else:
            import psycopg

            _STATE["conn"] = psycopg.connect(psycopg_url(url), autocommit=True)
        return
    from jjjcredit.cli.evidence import key_box
    from jjjcredit.core.sharing import access
    from jjjcredit.services.sharing import personal_keys
    from jjjcredit.storage.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        _STATE["protector"] = personal_keys.protector(conn, key_box())
    _STATE["engine"] = engine
    _STATE["caller"] = access.PUBLIC if kind in ("public", "unfiltered") else access.client_at(3)
    if kind == "unfiltered":  # the same read for the public, every record shown: no rule is applied
        from jjjcredit.core.sharing import disclosure as rules

        shown = rules.RecordDecision(True, "public_disclosure", False, True, None)
        rules.decide_record = lambda *_args, **_kwargs: shown  # this worker only


def _one(key: str) -> int:
    if _STATE["kind"] == "bare":
        conn = _STATE["conn"]
        if isinstance(conn, sqlite3.Connection):
            return len(conn.execute("SELECT * FROM credit_records WHERE subject_key = ?", (key,)).fetchall())
        return len(conn.execute("SELECT * FROM credit_records WHERE subject_key = %s", (key,)).fetchall())
    from jjjcredit.services import db
    from jjjcredit.services.sharing import disclosure

    with db.reading(_STATE["engine"]) as conn:  # as the API reads (web/api/credit.py)
        answer = disclosure.subject_records(conn, _STATE["caller"], key, _STATE["protector"])
    return int(answer["records"])


def _run(job: tuple[list[str], float, float]) -> tuple[list[float], int]:
    """Call in turn over ``keys`` from ``start`` (a wall clock time) for ``seconds``: latencies (s), records."""
    keys, start, seconds = job
    while time.time() < start:
        time.sleep(0.001)
    latencies, records, i = [], 0, 0
    end = start + seconds
    while time.time() < end:
        t = time.perf_counter()
        records += _one(keys[i % len(keys)])
        latencies.append(time.perf_counter() - t)
        i += 1
    return latencies, records


def measure(url: str, kind: str, keys: list[str], concurrency: int, seconds: float,
            warmup: float) -> tuple[int, float, float, float, float, float]:
    """(calls, calls/s, p50, p95, p99, mean records a call) — latencies in ms."""
    with Pool(concurrency, initializer=_init, initargs=(url, kind)) as pool:
        slices = [keys[i::concurrency] for i in range(concurrency)]
        if warmup:
            pool.map(_run, [(s[len(s) // 2:], time.time() + 0.5, warmup) for s in slices])
        results = pool.map(_run, [(s, time.time() + 0.5, seconds) for s in slices])
    latencies = sorted(x for lat, _r in results for x in lat)
    records = sum(r for _l, r in results)

    def pct(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))] * 1e3

    return (len(latencies), len(latencies) / seconds, pct(0.5), pct(0.95), pct(0.99),
            records / max(len(latencies), 1))


def redaction(url: str, keys: list[str], seconds: float) -> None:
    """The redaction's own cost, in one process, so the machine's noise falls on both sides alike: calls
    of the public's view alternate with the same read unfiltered (the rule replaced by one that shows
    every record), subject by subject; and the time spent inside the rule itself, summed."""
    from jjjcredit.cli.evidence import key_box
    from jjjcredit.core.sharing import access
    from jjjcredit.core.sharing import disclosure as rules
    from jjjcredit.services.sharing import disclosure, personal_keys
    from jjjcredit.storage.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        protector = personal_keys.protector(conn, key_box())
    real = rules.decide_record
    shown = rules.RecordDecision(True, "public_disclosure", False, True, None)
    spent = [0.0, 0]

    def timed(*args: object, **kwargs: object) -> rules.RecordDecision:
        t = time.perf_counter()
        decision = real(*args, **kwargs)  # type: ignore[arg-type]
        spent[0] += time.perf_counter() - t
        spent[1] += 1
        return decision

    def everything(*_args: object, **_kwargs: object) -> rules.RecordDecision:
        return shown

    times: dict[str, list[float]] = {"public": [], "unfiltered": []}
    counts = {"public": 0, "unfiltered": 0}
    end, i = time.time() + seconds, 0
    try:
        while time.time() < end:
            key = keys[i % len(keys)]
            for kind, rule in (("public", timed), ("unfiltered", everything)) if i % 2 else \
                    (("unfiltered", everything), ("public", timed)):
                rules.decide_record = rule
                with engine.connect() as conn:
                    t = time.perf_counter()
                    answer = disclosure.subject_records(conn, access.PUBLIC, key, protector)
                    times[kind].append(time.perf_counter() - t)
                counts[kind] += int(answer["records"])
            i += 1
    finally:
        rules.decide_record = real
    total = {k: sum(v) for k, v in times.items()}
    p99 = {k: sorted(v)[int(len(v) * 0.99)] * 1e3 for k, v in times.items()}
    print(f"  redaction, one process, {i:,} subjects each way alternating: the public's view "
          f"{total['public'] / i * 1e3:.2f} ms a call (p99 {p99['public']:.2f}; {counts['public']:,} records shown), "
          f"the same read unfiltered {total['unfiltered'] / i * 1e3:.2f} ms (p99 {p99['unfiltered']:.2f}; "
          f"{counts['unfiltered']:,} records shown): {total['public'] / total['unfiltered'] - 1:+.1%} "
          f"(target ≤ +10 %: {'met' if total['public'] <= 1.1 * total['unfiltered'] else 'NOT MET'}); "
          f"inside the rule: {spent[0] / total['public']:.1%} of the public's time ({spent[1]:,} decisions, "
          f"{spent[0] / max(spent[1], 1) * 1e6:.1f} µs each)", flush=True)
    engine.dispose()


# --- sizes --------------------------------------------------------------------------------------

def sizes(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        conn = sqlite3.connect(path)
        records = conn.execute("SELECT count(*) FROM credit_records").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM credit_record_versions").fetchone()[0]
        print(f"  SQLite file {path.stat().st_size / 1e9:,.2f} GB: {records:,} records, {versions:,} versions, "
              f"{path.stat().st_size / records:,.0f} bytes a record (everything in the file)")
        try:
            parts = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
            for name, size in parts[:10]:
                print(f"    {name:48s} {size / 1e9:8,.2f} GB  {size / records:6,.0f} bytes a record")
        except sqlite3.OperationalError:
            print("    (no dbstat in this SQLite build: no per-table split)")
        conn.close()
        return
    import psycopg

    pg: Any  # (its answers are read as the queries make them: never None)
    with psycopg.connect(psycopg_url(url)) as pg:
        records = pg.execute("SELECT count(*) FROM credit_records").fetchone()[0]
        versions = pg.execute("SELECT count(*) FROM credit_record_versions").fetchone()[0]
        database = pg.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"  database {database / 1e9:,.2f} GB: {records:,} records, {versions:,} versions")
        grand = 0
        for table in ("credit_records", "credit_record_versions"):
            heap, indexes = pg.execute(
                "SELECT sum(pg_table_size(relid)), sum(pg_indexes_size(relid)) FROM pg_partition_tree(%s) "
                "WHERE isleaf", (table,)).fetchone()
            heap, indexes = int(heap), int(indexes)
            grand += heap + indexes
            print(f"  {table}: heap+TOAST {heap / 1e9:,.2f} GB ({heap / records:,.0f} bytes a record), indexes "
                  f"{indexes / 1e9:,.2f} GB ({indexes / records:,.0f} bytes a record), total "
                  f"{(heap + indexes) / 1e9:,.2f} GB ({(heap + indexes) / records:,.0f} bytes a record)")
            for (index,) in pg.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY 1",
                                         (table,)).fetchall():
                size = int(pg.execute("SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree(%s)",
                                        (index,)).fetchone()[0])
                print(f"    index {index:44s} {size / 1e9:7,.2f} GB  {size / records:5,.0f} bytes a record")
        print(f"  both tables with their indexes: {grand / 1e9:,.2f} GB = {grand / records:,.0f} bytes a record")


# --- HTTP -----------------------------------------------------------------------------------------

def http(url: str, keys: list[str], concurrency: int, seconds: int, workers: int = 1) -> None:
    from api_load import cli, free_port, run_wrk, started, wait_for

    if subprocess.run(["which", "wrk"], capture_output=True).returncode:
        print("  HTTP: skipped (no wrk: apt-get install wrk)")
        return
    key = json.loads(subprocess.run(cli("clients", "add", f"records-read-{int(time.time())}", "--services",
                                        "records", "--level", "3", "--db", url),
                                    capture_output=True, text=True, check=True).stdout)["api_key"]
    headers = (f"X-API-Key: {key}", "X-Purpose: records read benchmark")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        command = cli("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--db", url)
        base = f"http://127.0.0.1:{port}"
        # keyed reads of records (a public service) count against the client: raised for the run
        env = {**os.environ, "JJJCREDIT_CLIENT_RATE_PER_MINUTE": "1000000000"}
        with started(command, env, work / "api.log") as process:
            wait_for(base + "/healthz", process, "jjjcredit serve", work / "api.log")
            lines = [f"GET\t/api/v1/subjects/{k}/records" for k in keys]
            for connections in (1, concurrency):
                load = run_wrk(base, lines, work, "records", connections=connections, threads=min(2, connections),
                               duration=seconds, warmup=3, headers=headers)
                print(f"  HTTP GET /api/v1/subjects/{{code}}/records  {workers} worker(s), {connections} conn: "
                      f"{load.per_second:8,.0f}/s  "
                      f"p50 {load.p50:6.2f}  p95 {load.p95:6.2f}  p99 {load.p99:6.2f} ms{load.errors}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a database built by credit_ingest.py --keep")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--subjects", type=int, default=SAMPLE)
    parser.add_argument("--http", action="store_true", help="also GET /api/v1/subjects/{code}/records (wrk)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes for --http")
    parser.add_argument("--no-sizes", action="store_true")
    parser.add_argument("--sizes-only", action="store_true", help="only the database's size")
    args = parser.parse_args()
    if not os.environ.get("JJJCREDIT_SIGNING_KEY_SECRET"):
        sys.exit("set JJJCREDIT_SIGNING_KEY_SECRET (the one the database was built with)")
    header("credit records: a subject's records under concurrent load")
    if args.sizes_only:
        sizes(args.db)
        return
    started_at = time.perf_counter()
    keys, total = sample_subjects(args.db, args.subjects)
    print(f"database: {'SQLite' if args.db.startswith('sqlite') else 'PostgreSQL'}, {total:,} records; "
          f"{len(keys):,} random subjects with records ({time.perf_counter() - started_at:,.0f} s to sample)",
          flush=True)
    random.Random(3).shuffle(keys)
    for concurrency in (1, args.concurrency):
        results = {}
        for kind, name in (("bare", "bare SELECT … WHERE subject_key"), ("disclosure", "disclosure.subject_records"),
                           ("public", "the same, the public's view"),
                           ("unfiltered", "the public's read, unfiltered")):
            calls, rate, p50, p95, p99, per = measure(args.db, kind, keys, concurrency, args.duration, args.warmup)
            results[kind] = (rate, p99)
            print(f"  {name:34s} {concurrency} concurrent: {rate:8,.0f} calls/s  p50 {p50:6.2f}  p95 {p95:6.2f}  "
                  f"p99 {p99:6.2f} ms  ({calls:,} calls, {per:.1f} records a call)", flush=True)
        (bare_rate, bare_p99), (rate, p99) = results["bare"], results["disclosure"]
        public_rate, public_p99 = results["public"]
        print(f"    disclosure / bare at {concurrency}: {rate / bare_rate:.0%} of the calls/s, p99 "
              f"{p99 / bare_p99:.1f}x; p99 < 20 ms: {'met' if p99 < 20 else 'NOT MET'}; the public's view: "
              f"{public_rate / rate:.0%} of the level-3 view's calls/s (its redaction costs "
              f"{rate / public_rate - 1:+.0%} a call), p99 {public_p99:.2f} ms")
        unfiltered_rate, unfiltered_p99 = results["unfiltered"]
        cost = unfiltered_rate / public_rate - 1
        print(f"    the public's view against the same read unfiltered at {concurrency}: redaction costs {cost:+.1%} "
              f"a call (target ≤ 10 %: {'met' if cost <= 0.10 else 'NOT MET'}), p99 {public_p99:.2f} ms against "
              f"{unfiltered_p99:.2f} ms")
    redaction(args.db, keys, args.duration)
    if not args.no_sizes:
        sizes(args.db)
    if args.http:
        try:
            http(args.db, keys, args.concurrency, int(args.duration), args.workers)
        except SystemExit as exc:  # the server did not start: say why, keep the figures above
            print(f"  HTTP: not measured — {exc}")


if __name__ == "__main__":
    main()
