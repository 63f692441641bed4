"""Search at scale, against a bare SQLite FTS5 trigram index of the same names, in the same run.

Figures (issue "name search p95 under 50 ms" at ≥ 1,000,000 organizations, and the key refresh):

1. p50/p95/p99 of a query mix, one query at a time, through the search service in this process
   (``search_organizations``, 20 answers): a fifth each of full names, names without their region,
   the first 2-5 characters of the name without its region, 4-6 pinyin initials of it and the first
   6-12 characters of a code (the mix of benchmarks/api_load.py), made from random organizations of
   the library; the peer answers the same queries with a bare ``MATCH`` (``LIKE`` below three
   characters), 20 rows, unranked. Also the CPU time per query (the machine is shared), how often
   the organization a query was made from is among the answers, and (``--http``) the same queries
   through ``GET /api/v1/search`` of ``jjjcredit serve``, one at a time on one keep-alive connection.
2. The refresh rate, organizations/s: ``jjjcredit search refresh --rebuild`` (every key built again;
   the library's own first ingest refreshes the same way), and the refresh that follows an ingest of
   1 % new organizations (``search.seconds`` in the ingest's JSON), against the peer building its
   trigram index over the same names.

The library is built with the project's own commands unless ``--db-file`` (or ``--postgres``) holds
one: ``--names synthetic`` writes one standard-layout file (benchmarks/library_ingest.py: repetitive
names, 石家庄<two words><number>机械制造有限公司), ``--names demo`` runs ``jjjcredit demo-data`` (names per
department from a vocabulary, many files) and ingests every file.

Run: ``.venv/bin/python -u benchmarks/search.py [--rows 1000000] [--names synthetic|demo]
[--db-file lib.sqlite3] [--postgres postgresql://...] [--queries 2000] [--http] [--no-rebuild]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_load import (
    RATE_FOR_RUN,
    count_organizations,
    free_port,
    sample_organizations,
    search_queries,
    started,
    wait_for,
)
from library_ingest import write_file
from machine import header

LIMIT = 20
WARMUP = 100


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "jjjcredit", *args]


def run(command: list[str], what: str) -> tuple[float, str]:
    """Seconds and stdout of one command; stops the benchmark when it fails as a usage error."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode == 2 or (result.returncode != 0 and not result.stdout):
        sys.exit(f"{what} failed: {result.stderr.strip()[-500:]}")
    return seconds, result.stdout


def ingest(url: str, path: Path, source: str) -> dict[str, object]:
    _, out = run(cli("library", "ingest", str(path), "--source", source, "--db", url), f"ingest {path.name}")
    summary: dict[str, object] = json.loads(out)
    return summary


def build_library(url: str, rows: int, names: str, work: Path) -> None:
    print(f"building the library: {rows:,} organizations, {names} names", flush=True)
    seconds, _ = run(cli("db", "upgrade", "--db", url), "db upgrade")
    print(f"  jjjcredit db upgrade: {seconds:,.1f} s")
    if names == "synthetic":
        path = work / "organizations.csv"
        write_file(path, rows)
        files = [(path, "hebei/market-regulation")]
    else:
        seconds, _ = run(cli("demo-data", "--count", str(rows), "--out", str(work / "demo"), "--mistakes", "0"),
                         "demo-data")
        print(f"  jjjcredit demo-data --count {rows}: {seconds:,.1f} s")
        found = sorted((work / "demo").glob("*.csv"), key=lambda p: (p.name.endswith("-changes.csv"), p.name))
        files = [(p, "/".join(p.stem.removesuffix("-changes").split("-", 1))) for p in found]
    start, refreshed, indexed = time.perf_counter(), 0.0, 0
    for path, source in files:
        summary = ingest(url, path, source)
        keys = summary.get("search") or {}
        assert isinstance(keys, dict)
        refreshed += float(keys.get("seconds", 0))
        indexed += int(keys.get("indexed", 0))
    print(f"  jjjcredit library ingest, {len(files)} file(s): {time.perf_counter() - start:,.1f} s, of which the "
          f"search key refresh {refreshed:,.1f} s for {indexed:,} organizations", flush=True)
    shutil.rmtree(work / "demo", ignore_errors=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(answer: Callable[[str], list[str]], queries: list[tuple[str, str]], codes: list[str]
            ) -> dict[str, tuple[list[float], list[float], int]]:
    """Per kind of query: wall ms, CPU ms, and how many answers held the organization it was made from
    (the first WARMUP queries answered first, unmeasured)."""
    for _, q in queries[:WARMUP]:
        answer(q)
    out: dict[str, tuple[list[float], list[float], int]] = {}
    for (kind, q), code in zip(queries[WARMUP:], codes[WARMUP:], strict=True):
        wall, cpu = time.perf_counter(), time.thread_time()
        found = answer(q)
        walls, cpus, hits = out.setdefault(kind, ([], [], 0))
        walls.append((time.perf_counter() - wall) * 1e3)
        cpus.append((time.thread_time() - cpu) * 1e3)
        out[kind] = (walls, cpus, hits + (code in found))
    return out


def show(name: str, results: dict[str, tuple[list[float], list[float], int]]) -> tuple[float, float, float, float]:
    every = [x for walls, _, _ in results.values() for x in walls]
    cpu = [x for _, cpus, _ in results.values() for x in cpus]
    found = sum(hits for _, _, hits in results.values())
    print(f"  {name}: p50 {percentile(every, .5):.1f} ms, p95 {percentile(every, .95):.1f} ms, "
          f"p99 {percentile(every, .99):.1f} ms; CPU p50 {percentile(cpu, .5):.1f} ms, p95 {percentile(cpu, .95):.1f} "
          f"ms; the organization among the answers {found:,} of {len(every):,}")
    for kind, (walls, cpus, hits) in results.items():
        print(f"    {kind:15s} p50 {percentile(walls, .5):6.1f}  p95 {percentile(walls, .95):6.1f}  "
              f"p99 {percentile(walls, .99):6.1f} ms   CPU p95 {percentile(cpus, .95):6.1f} ms   "
              f"found {hits}/{len(walls)}")
    return percentile(every, .5), percentile(every, .95), percentile(every, .99), found / len(every)


def http_answer(base: str) -> tuple[Callable[[str], list[str]], Callable[[], None]]:
    """The same search through ``GET /api/v1/search`` of a running server, on one keep-alive connection."""
    import http.client
    from urllib.parse import quote, urlsplit

    conn = http.client.HTTPConnection(urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port, timeout=60)

    def answer(q: str) -> list[str]:
        conn.request("GET", f"/api/v1/search?limit={LIMIT}&q={quote(q)}")
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"GET /api/v1/search?q={q} answered {response.status}: {body[:200]!r}")
        return [hit["code"] for hit in json.loads(body)["results"]]
    return answer, conn.close


def build_peer(url: str, path: Path) -> tuple[float, int]:
    """The same names in a bare FTS5 trigram table (seconds to build its index, organizations)."""
    from sqlalchemy import text

    from jjjcredit.storage.engine import make_engine

    path.unlink(missing_ok=True)
    peer = sqlite3.connect(path)
    peer.execute("PRAGMA journal_mode=WAL")
    peer.execute("CREATE TABLE names (uscc TEXT PRIMARY KEY, name TEXT)")
    engine = make_engine(url)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=50_000).execute(
            text("SELECT uscc, name FROM organizations WHERE name IS NOT NULL"))
        for part in result.partitions():
            peer.executemany("INSERT INTO names VALUES (?, ?)", [tuple(row) for row in part])
    engine.dispose()
    peer.commit()
    start = time.perf_counter()
    peer.execute("CREATE VIRTUAL TABLE names_fts USING fts5(name, uscc, tokenize='trigram')")
    peer.execute("INSERT INTO names_fts (name, uscc) SELECT name, uscc FROM names")
    peer.commit()
    seconds = time.perf_counter() - start
    count = int(peer.execute("SELECT count(*) FROM names").fetchone()[0])
    peer.close()
    return seconds, count


def peer_answer(peer: sqlite3.Connection) -> Callable[[str], list[str]]:
    def answer(q: str) -> list[str]:
        if len(q) >= 3:
            rows = peer.execute("SELECT uscc FROM names_fts WHERE names_fts MATCH ? LIMIT ?",
                                ('"' + q.replace('"', '""') + '"', LIMIT)).fetchall()
        else:
            rows = peer.execute("SELECT uscc FROM names WHERE name LIKE ? LIMIT ?", (f"%{q}%", LIMIT)).fetchall()
        return [row[0] for row in rows]
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="organizations in the library it builds")
    parser.add_argument("--names", choices=("synthetic", "demo"), default="synthetic",
                        help="synthetic: one file of repetitive names; demo: jjjcredit demo-data files")
    parser.add_argument("--db-file", type=Path, help="a SQLite library: reused when it holds organizations, "
                        "else built there and kept (default: built in a temporary folder)")
    parser.add_argument("--postgres", help="search this PostgreSQL library instead (built there when empty)")
    parser.add_argument("--queries", type=int, default=2_000, help="queries measured (after 100 unmeasured)")
    parser.add_argument("--no-rebuild", action="store_true", help="leave out the --rebuild refresh figure")
    parser.add_argument("--http", action="store_true", help="also the same queries through jjjcredit serve")
    args = parser.parse_args()

    header(f"search: {'PostgreSQL' if args.postgres else 'SQLite'} library vs a bare SQLite FTS5 trigram index")
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        db_file = (args.db_file or work / "lib.sqlite3").resolve()
        url = args.postgres or f"sqlite:///{db_file}"
        if count_organizations(url) == 0:
            if not args.postgres:
                db_file.unlink(missing_ok=True)
            build_library(url, args.rows, args.names, work)
        else:
            print(f"library reused: {'PostgreSQL' if args.postgres else db_file}")
            seconds, _ = run(cli("db", "upgrade", "--db", url), "db upgrade")
            print(f"  jjjcredit db upgrade (and search refresh): {seconds:,.1f} s")
        organizations = count_organizations(url)
        print(f"library: {organizations:,} organizations", flush=True)

        print("refresh:")
        rates: dict[str, float] = {}
        if not args.no_rebuild:
            seconds, out = run(cli("search", "refresh", "--rebuild", "--db", url), "search refresh --rebuild")
            done = json.loads(out)
            rates["rebuild"] = done["indexed"] / done["seconds"]
            print(f"  jjjcredit search refresh --rebuild: {done['indexed']:,} organizations in "
                  f"{done['seconds']:,.1f} s = {rates['rebuild']:,.0f} organizations/s "
                  f"({seconds:,.1f} s with start-up)", flush=True)
        extra = work / "new.csv"
        write_file(extra, max(1, organizations // 100), seed=1000 + organizations)
        summary = ingest(url, extra, "hebei/market-regulation")
        keys = summary.get("search") or {}
        assert isinstance(keys, dict)
        if keys.get("indexed"):
            rates["after ingest"] = int(keys["indexed"]) / float(keys["seconds"])
            print(f"  refresh after ingesting {summary['created']:,} new organizations: {keys['indexed']:,} in "
                  f"{float(keys['seconds']):,.2f} s = {rates['after ingest']:,.0f} organizations/s", flush=True)
        peer_seconds, peer_count = build_peer(url, work / "peer.sqlite3")
        rates["peer"] = peer_count / peer_seconds
        print(f"  peer, FTS5 trigram index of {peer_count:,} names: {peer_seconds:,.1f} s = "
              f"{rates['peer']:,.0f} organizations/s", flush=True)

        rows = sample_organizations(url, min(args.queries + WARMUP, organizations))
        queries = search_queries(rows, len(rows))
        codes = [code for code, _, _ in rows]
        print(f"queries: {len(queries) - WARMUP:,} measured one at a time after {WARMUP} unmeasured, "
              f"{LIMIT} answers each", flush=True)

        from jjjcredit.services.library import search
        from jjjcredit.storage.engine import make_engine

        engine = make_engine(url)
        with engine.connect() as conn:
            def ours(q: str) -> list[str]:
                return [hit.code for hit in search.search_organizations(conn, q, limit=LIMIT)]
            mine = measure(ours, queries, codes)
        engine.dispose()
        over_http = None
        if args.http:
            port = free_port()
            env = {**os.environ, "JJJCREDIT_PUBLIC_RATE_PER_MINUTE": str(RATE_FOR_RUN)}
            command = cli("serve", "--host", "127.0.0.1", "--port", str(port), "--db", url)
            print(f"api: {' '.join(['jjjcredit', *command[3:]])} (public rate limit raised for the run)")
            with started(command, env, work / "api.log") as process:
                wait_for(f"http://127.0.0.1:{port}/healthz", process, "jjjcredit serve", work / "api.log")
                answer, close = http_answer(f"http://127.0.0.1:{port}")
                over_http = measure(answer, queries, codes)
                close()
        peer = sqlite3.connect(work / "peer.sqlite3")
        theirs = measure(peer_answer(peer), queries, codes)
        peer.close()
        print("figures:")
        a = show("jjjcredit search", mine)
        h = show("the same through GET /api/v1/search (the client's CPU)", over_http) if over_http else None
        b = show("peer (bare FTS5 trigram MATCH / LIKE)", theirs)
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")

        print("\nfigure | jjjcredit | peer | ratio")
        for i, label in enumerate(("p50", "p95", "p99")):
            print(f"query mix {label}, one at a time | {a[i]:.1f} ms | {b[i]:.1f} ms | {a[i] / b[i]:.2f}×")
        if h:
            print(f"query mix p95 through the API, one at a time | {h[1]:.1f} ms | {b[1]:.1f} ms | {h[1] / b[1]:.2f}×")
        print(f"the organization among the {LIMIT} answers | {a[3]:.0%} | {b[3]:.0%} | —")
        for name in ("rebuild", "after ingest"):
            if name in rates:
                print(f"refresh ({name}) | {rates[name]:,.0f} organizations/s | {rates['peer']:,.0f} organizations/s "
                      f"| {rates[name] / rates['peer']:.2f}×")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
