"""The API under load, against Datasette serving the same SQLite table, in the same run.

Figures, each at a fixed concurrency for a fixed duration after a warm-up, on loopback, rotating
through many random organizations of the library (wrk; the batches from a threaded client that counts
every call to its end, since one call takes seconds):

1. Datasette's row-by-primary-key JSON (``/lib/organizations/CODE.json``): the peer's requests/s;
2. the public lookup ``GET /api/v1/organizations/{code}``: requests/s ≥ Datasette's;
3. ``POST /api/v1/verify`` with an API key and ``X-Purpose`` (authenticated, audited, signed):
   requests/s ≥ half of Datasette's;
   then p99 < 20 ms for both "at that load": each paced (wrk's ``delay``) to the rate it must carry —
   Datasette's requests/s for the lookup (Datasette itself measured paced the same), half of it for
   verify. Flat out, with every connection sending as soon as its answer comes, latency is the
   connections over the throughput, whatever the server: those p99 are printed, not judged;
4. ``POST /api/v1/verify/batch`` with 10,000 items a call: ≥ 100,000 items/s;
5. ``GET /api/v1/search?q=`` over a mix of full names, names without their region, parts of names,
   pinyin initials and code prefixes: p95 < 50 ms one query at a time (and, for reading it, the same
   queries at 32 connections flat out: their latency is then the queue).

The library is built with the project's own commands (``demo-data``, ``db upgrade``, ``library ingest``)
unless ``--db-file`` names one already built. With ``--postgres URL`` the API serves that PostgreSQL
library (built there when it is empty) and Datasette a SQLite copy of its organizations table.
The public rate limit (``JJJCREDIT_PUBLIC_RATE_PER_MINUTE``) and the client's
(``JJJCREDIT_CLIENT_RATE_PER_MINUTE``) are raised for the run, and the output says so.

Needs wrk (``apt-get install wrk``) and Datasette (``pip install -e '.[bench]'``).

Run: ``.venv/bin/python -u benchmarks/api_load.py [--rows 1000000] [--db-file lib.sqlite3]
[--postgres postgresql://...] [--workers 1] [--serve-args "..."] [--connections 32] [--duration 15]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

#: Calls a minute allowed without a key during the run: high enough never to answer 429.
RATE_FOR_RUN = 1_000_000_000
BATCH_ITEMS = 10_000
SAMPLE = 100_000

#: wrk's script: requests read from a file (one per line: METHOD, tab, path, and a tab and a body when
#: there is one), formatted once per thread, sent in turn from a different place in each thread.
WRK_SCRIPT = r"""
local threads = {}
local requests = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
    if body == "" then body = nil end
    requests[#requests + 1] = wrk.format(method, path, nil, body)
  end
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  return requests[counter % #requests + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, e.timeout))
end
"""


#: Appended to the script for a paced run: each connection waits ``args[2]`` ms before each request, so
#: the offered rate is about connections × 1000 / that (a little less, by the calls' own latency).
WRK_PACE = r"""
local pace = 0
local first_init = init

function init(args)
  first_init(args)
  pace = tonumber(args[2])
end

function delay()
  return pace
end
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests, seconds, errors (socket / HTTP ≥ 400), latencies in ms."""

    requests: int
    seconds: float
    socket_errors: int
    status_errors: int
    p50: float
    p95: float
    p99: float
    max: float
    connections: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> str:
        if not self.socket_errors and not self.status_errors:
            return ""
        return f"  ERRORS: {self.status_errors:,} HTTP ≥ 400, {self.socket_errors:,} socket"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "jjjcredit", *args]


def timed(command: list[str], what: str) -> subprocess.CompletedProcess[str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode == 2:
        sys.exit(f"{what} failed: {result.stderr.strip()}")
    print(f"  {what}: {time.perf_counter() - start:,.1f} s", flush=True)
    return result


def count_organizations(url: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from jjjcredit.storage.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM organizations")).scalar_one())
    except DBAPIError:
        return 0
    finally:
        engine.dispose()


def build_library(url: str, rows: int, work: Path, jobs: int) -> None:
    """Department files from ``demo-data``, the schema, every file ingested (full files, then changes)."""
    demo = work / "demo"
    print(f"building the library: {rows:,} organizations", flush=True)
    timed(cli("demo-data", "--count", str(rows), "--out", str(demo), "--mistakes", "0", "--jobs", str(jobs)),
          f"jjjcredit demo-data --count {rows}")
    timed(cli("db", "upgrade", "--db", url), "jjjcredit db upgrade")
    files = sorted(demo.glob("*.csv"), key=lambda p: (p.name.endswith("-changes.csv"), p.name))
    start = time.perf_counter()
    for path in files:
        region, department = path.stem.removesuffix("-changes").split("-", 1)
        result = subprocess.run(cli("library", "ingest", str(path), "--source", f"{region}/{department}",
                                    "--db", url), capture_output=True, text=True, check=False)
        if result.returncode == 2:
            sys.exit(f"library ingest {path.name} failed: {result.stderr.strip()}")
    print(f"  jjjcredit library ingest, {len(files)} files: {time.perf_counter() - start:,.1f} s", flush=True)
    shutil.rmtree(demo)


def refresh_search_keys(url: str, rebuild: bool) -> str:
    """Bring the search keys up to the library with ``jjjcredit search refresh`` when the command line
    has it (a no-op when they are current); say what was done."""
    command = ["search", "refresh", *(["--rebuild"] if rebuild else [])]
    probe = subprocess.run(cli("search", "refresh", "--help"), capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return "search keys: kept by the ingest itself (no `jjjcredit search refresh` command)"
    start = time.perf_counter()
    result = subprocess.run(cli(*command, "--db", url), capture_output=True, text=True, check=False)
    shown = shlex.join(["jjjcredit", *command])
    if result.returncode != 0:
        return f"search keys: `{shown}` failed (search figures may fail too): {result.stderr.strip()[:300]}"
    return f"search keys: `{shown}` took {time.perf_counter() - start:,.1f} s"


def copy_organizations(url: str, path: Path) -> None:
    """The organizations table of a PostgreSQL library as a SQLite table of the same columns, for Datasette."""
    import psycopg

    start = time.perf_counter()
    path.unlink(missing_ok=True)
    lite = sqlite3.connect(path)
    with psycopg.connect(url.replace("+psycopg", "")) as conn, conn.cursor(name="organizations") as cur:
        cur.itersize = 20_000
        cur.execute("SELECT * FROM organizations")
        chunk = cur.fetchmany(20_000)
        columns = [d.name for d in cur.description or []]
        lite.execute(f"CREATE TABLE organizations ({', '.join(columns)}, PRIMARY KEY (uscc))")
        insert = f"INSERT INTO organizations VALUES ({', '.join('?' * len(columns))})"
        lite.executemany(insert, ([str(v) if v is not None else None for v in row] for row in chunk))
        while chunk := cur.fetchmany(20_000):
            lite.executemany(insert, ([str(v) if v is not None else None for v in row] for row in chunk))
    lite.commit()
    lite.close()
    print(f"  Datasette's copy of the organizations table: {time.perf_counter() - start:,.1f} s", flush=True)


def sample_organizations(url: str, size: int, seed: int = 7) -> list[tuple[str, str, str | None]]:
    """Random (code, name, legal representative) rows of the library, in a seeded order."""
    from sqlalchemy import text

    from jjjcredit.storage.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [(r[0], r[1] or "", r[2]) for r in
                conn.execute(text("SELECT uscc, name, legal_rep FROM organizations ORDER BY random() LIMIT :n"),
                             {"n": size})]
    engine.dispose()
    rows.sort()
    random.Random(seed).shuffle(rows)
    return rows


def search_queries(rows: list[tuple[str, str, str | None]], count: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query): what people type — a full name, the name without its region, part of a name,
    pinyin initials of the name without its region, the start of a code."""
    from pypinyin import Style, lazy_pinyin

    try:
        from jjjcredit.core.library.search import core_key
    except ImportError:  # the search keys are being reworked: a plain fallback for the region
        def core_key(name: str) -> str:
            for prefix in ("北京市", "天津市", "河北省", "北京", "天津"):
                if name.startswith(prefix) and len(name) > len(prefix) + 3:
                    return name[len(prefix):]
            return name

    rng = random.Random(seed)
    kinds = ("full name", "without region", "part of a name", "pinyin initials", "code prefix")
    queries = []
    for i, (code, name, _rep) in enumerate(rows[:count]):
        kind = kinds[i % len(kinds)]
        core = core_key(name) or name
        if kind == "full name":
            q = name
        elif kind == "without region":
            q = core
        elif kind == "part of a name":
            q = core[:max(2, min(len(core) - 2, rng.randint(2, 5)))]
        elif kind == "pinyin initials":
            letters = "".join(lazy_pinyin(core, style=Style.FIRST_LETTER)).upper()
            q = "".join(c for c in letters if c.isalnum())[:rng.randint(4, 6)] or "BJ"
        else:
            q = code[:rng.randint(6, 12)]
        queries.append((kind, q))
    return queries


def request_lines(kind: str, rows: list[tuple[str, str, str | None]], queries: list[tuple[str, str]],
                  database: str) -> list[str]:
    """One request per line for the wrk script (``database``: Datasette's name for the file)."""
    from urllib.parse import quote

    if kind == "datasette":
        return [f"GET\t/{quote(database)}/organizations/{code}.json" for code, _, _ in rows]
    if kind == "lookup":
        return [f"GET\t/api/v1/organizations/{code}" for code, _, _ in rows]
    if kind == "verify":
        lines = []
        for i, (code, name, rep) in enumerate(rows):
            item: dict[str, str] = {"code": code, "name": name}
            if i % 2 and rep:
                item["legal_rep"] = rep
            lines.append("POST\t/api/v1/verify\t" + json.dumps(item, ensure_ascii=False))
        return lines
    if kind == "batch":  # four different batches (rows taken again in turn when there are fewer)
        lines = []
        for start in range(0, 4 * BATCH_ITEMS, BATCH_ITEMS):
            items = [{"code": c, "name": n} for c, n, _ in
                     (rows[i % len(rows)] for i in range(start, start + BATCH_ITEMS))]
            lines.append("POST\t/api/v1/verify/batch\t" + json.dumps({"items": items}, ensure_ascii=False))
        return lines
    if kind == "search":
        return [f"GET\t/api/v1/search?q={quote(q)}" for _, q in queries]
    raise ValueError(kind)


def run_wrk(base: str, lines: list[str], work: Path, name: str, *, connections: int, threads: int,
            duration: int, warmup: int, headers: tuple[str, ...] = (), rate: float | None = None) -> Load:
    """wrk with ``connections`` as fast as they can go, or (``rate``) paced to about that many
    requests a second in all."""
    script = work / "rotate.lua"
    script.write_text(WRK_SCRIPT + (WRK_PACE if rate else ""), encoding="utf-8")
    pace = [str(max(1, round(connections * 1000 / rate)))] if rate else []
    data = work / f"{name}.requests"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = ["-t", str(min(threads, connections)), "-c", str(connections), "--timeout", "60s"]
    for h in headers:
        options += ["-H", h]
    if warmup:
        subprocess.run(["wrk", *options, "-d", f"{warmup}s", "-s", str(script), base, "--", str(data), *pace],
                       capture_output=True, text=True, check=True)
    out = subprocess.run(["wrk", *options, "-d", f"{duration}s", "-s", str(script), base, "--", str(data), *pace],
                         capture_output=True, text=True, check=True).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT ")).split()[1:]
    requests, micros, sock, status, p50, p95, p99, top, _timeouts = (int(f) for f in fields)
    return Load(requests, micros / 1e6, sock, status, p50 / 1e3, p95 / 1e3, p99 / 1e3, top / 1e3, connections)


def run_batches(base: str, lines: list[str], *, connections: int, duration: int, warmup: int,
                headers: tuple[str, ...]) -> Load:
    """Batches from a few threads, one keep-alive connection each: calls of seconds are counted to the
    end of the last one (wrk would leave out the calls still running when its time is up)."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port
    calls = [(path, body.encode()) for _, path, body in (line.split("\t", 2) for line in lines)]
    fixed = dict(h.split(": ", 1) for h in headers)
    latencies: list[float] = []
    failures = [0, 0]  # HTTP ≥ 400, socket
    finished: list[float] = []

    def worker(index: int, until: float, measured: bool) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=300)
        i = index
        while time.perf_counter() < until:
            path, body = calls[i % len(calls)]
            i += 1
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=fixed)
                response = conn.getresponse()
                response.read()
            except OSError:
                failures[1] += measured
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=300)
                continue
            end = time.perf_counter()
            if measured:
                latencies.append(end - start)
                finished.append(end)
                failures[0] += response.status >= 400
        conn.close()

    for measured, seconds in ((False, warmup), (True, duration)):
        if not seconds:
            continue
        begin = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(n, begin + seconds, measured)) for n in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    latencies.sort()

    def pct(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))] * 1e3 if latencies else 0.0

    wall = (max(finished) - begin) if finished else float(duration)
    return Load(len(latencies), wall, failures[1], failures[0], pct(0.5), pct(0.95), pct(0.99),
                pct(1.0), connections)


def wait_for(url: str, process: subprocess.Popen[bytes], what: str, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            sys.exit(f"{what} stopped at start (exit {process.returncode}):\n" + "\n".join(tail))
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=2):
            return
        time.sleep(0.3)
    sys.exit(f"{what} did not answer {url} within {seconds:.0f} s")


def call(base: str, line: str, headers: tuple[str, ...] = ()) -> tuple[int, str]:
    """One request of a wrk request line, to see that it answers before loading it."""
    method, path, *body = line.split("\t", 2)
    request = urllib.request.Request(base + path, method=method, data=body[0].encode() if body else None)
    request.add_header("Content-Type", "application/json")
    for h in headers:
        key, value = h.split(": ", 1)
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read(400).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(400).decode(errors="replace")


@contextlib.contextmanager
def started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)  # the server's own process group: uvicorn and its workers
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="organizations in the library it builds")
    parser.add_argument("--db-file", type=Path, help="a SQLite library: reused when it holds organizations, "
                        "else built there and kept (default: built in a temporary folder)")
    parser.add_argument("--postgres", help="serve this PostgreSQL library instead (built there when empty); "
                        "Datasette serves a SQLite copy of its organizations table (--db-file: where)")
    parser.add_argument("--workers", type=int, default=1, help="jjjcredit serve --workers")
    parser.add_argument("--serve-args", default="", help="more options for jjjcredit serve, e.g. "
                        "\"--redis redis://127.0.0.1:6379/0\" (the server's defaults otherwise)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections, single calls")
    parser.add_argument("--batch-connections", type=int, default=2, help="concurrent connections, verify/batch")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per figure")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the same load before measuring")
    parser.add_argument("--jobs", type=int, default=1, help="demo-data --jobs when building")
    parser.add_argument("--rebuild-search", action="store_true",
                        help="jjjcredit search refresh --rebuild before measuring (a reused library built by an "
                             "older version)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (server logs, requests)")
    args = parser.parse_args()

    header(f"API load: {'PostgreSQL' if args.postgres else 'SQLite'} library, {args.workers} worker(s)")
    missing = [tool for tool in ("wrk", "datasette")
               if not shutil.which(tool) and not (Path(sys.executable).parent / tool).exists()]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (apt-get install wrk; .venv/bin/pip install -e '.[bench]')")
    datasette = str(Path(sys.executable).parent / "datasette") if (Path(sys.executable).parent / "datasette").exists() \
        else str(shutil.which("datasette"))
    versions = subprocess.run([datasette, "--version"], capture_output=True, text=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"peer:    {versions}; load generator: {wrk_version.split(' [')[0]} on loopback")

    work = Path(tempfile.mkdtemp(prefix="api-load-"))
    try:
        db_file = (args.db_file or work / "lib.sqlite3").resolve()
        db_file.parent.mkdir(parents=True, exist_ok=True)
        url = args.postgres or f"sqlite:///{db_file}"
        if count_organizations(url) == 0:
            if args.postgres is None:
                db_file.unlink(missing_ok=True)
            build_library(url, args.rows, work, args.jobs)
        else:
            print(f"library reused: {'PostgreSQL' if args.postgres else db_file}")
            timed(cli("db", "upgrade", "--db", url), "jjjcredit db upgrade")
        print(f"  {refresh_search_keys(url, args.rebuild_search)}", flush=True)
        if args.postgres and count_organizations(f"sqlite:///{db_file}") == 0:
            copy_organizations(args.postgres, db_file)
        organizations = count_organizations(url)
        size = f"{db_file.stat().st_size / 1e6:,.0f} MB SQLite file" if not args.postgres else "PostgreSQL"
        print(f"library: {organizations:,} organizations ({size}); Datasette serves {db_file.name}")

        rows = sample_organizations(url, min(SAMPLE, organizations))
        queries = search_queries(rows, 5_000)
        key = json.loads(subprocess.run(cli("clients", "add", f"api-load-{int(time.time())}", "--services",
                                            "verify,lookup,search,changes", "--level", "2", "--db", url),
                                        capture_output=True, text=True, check=True).stdout)["api_key"]
        keyed = (f"X-API-Key: {key}", "X-Purpose: load test", "Content-Type: application/json")

        api_port, peer_port = free_port(), free_port()
        env = {**os.environ, "JJJCREDIT_PUBLIC_RATE_PER_MINUTE": str(RATE_FOR_RUN),
               "JJJCREDIT_CLIENT_RATE_PER_MINUTE": str(RATE_FOR_RUN)}
        # verify signs its answers: the signing keys are sealed under an operator secret (a fixed one here,
        # so a library kept with --db-file opens its keys in the next run)
        env.setdefault("JJJCREDIT_SIGNING_KEY_SECRET", "benchmark-operator-secret")
        print(f"rate limits raised for the run: JJJCREDIT_PUBLIC_RATE_PER_MINUTE={RATE_FOR_RUN} and "
              f"JJJCREDIT_CLIENT_RATE_PER_MINUTE={RATE_FOR_RUN} (defaults 60 a minute per address and 600 per "
              "key would answer 429 within a second)")
        api_command = cli("serve", "--host", "127.0.0.1", "--port", str(api_port), "--workers", str(args.workers),
                          "--db", url, *shlex.split(args.serve_args))
        peer_command = [datasette, "serve", str(db_file), "--host", "127.0.0.1", "--port", str(peer_port),
                        "--setting", "sql_time_limit_ms", "5000"]
        print(f"api:     {shlex.join(['jjjcredit', *api_command[3:]])}")
        same = "a copy of the organizations table" if args.postgres else "the same file, read-only"
        print(f"peer:    datasette {' '.join(peer_command[1:])}  ({same}; both servers log a line per call)")
        print(f"load:    {args.connections} connections for single calls (wrk, {args.threads} threads), "
              f"{args.batch_connections} for batches (threads); {args.duration} s after {args.warmup} s warm-up; "
              f"{min(SAMPLE, organizations):,} random organizations in turn; "
              f"load average at start {os.getloadavg()[0]:.2f}", flush=True)

        api, peer = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{peer_port}"
        with started(api_command, env, work / "api.log") as api_process, \
                started(peer_command, env, work / "datasette.log") as peer_process:
            wait_for(api + "/healthz", api_process, "jjjcredit serve", work / "api.log")
            wait_for(peer + "/-/versions.json", peer_process, "datasette", work / "datasette.log")
            results: dict[str, Load | str] = {}
            plan = [("datasette", peer, (), args.connections),
                    ("lookup", api, (), args.connections),
                    ("verify", api, keyed, args.connections),
                    ("datasette, paced", peer, (), args.connections),
                    ("lookup, paced", api, (), args.connections),
                    ("verify, paced", api, keyed, args.connections),
                    ("batch", api, keyed, args.batch_connections),
                    ("search", api, (), args.connections),
                    ("search, one at a time", api, (), 1)]
            for name, base, headers, connections in plan:
                lines = request_lines(name.split(",")[0], rows, queries, db_file.stem)
                paced_at = None
                if name.endswith(", paced"):  # the load Datasette carries (verify: the half it must carry)
                    peer_load = results.get("datasette")
                    if not isinstance(peer_load, Load):
                        continue
                    paced_at = peer_load.per_second * (0.5 if name.startswith("verify") else 1.0)
                status, body = call(base, lines[0], headers)
                if status != 200:
                    results[name] = f"not measured: the first call answered {status}: {body[:200]}"
                    print(f"  {name}: {results[name]}", flush=True)
                    continue
                if name == "batch":
                    load = run_batches(base, lines, connections=connections, duration=args.duration,
                                       warmup=args.warmup, headers=headers)
                else:
                    load = run_wrk(base, lines, work, name.split(",")[0], connections=connections,
                                   threads=args.threads, duration=args.duration, warmup=args.warmup,
                                   headers=headers, rate=paced_at)
                results[name] = load
                rate = f"{load.per_second * BATCH_ITEMS:9,.0f} items/s" if name == "batch" else \
                    f"{load.per_second:9,.0f} req/s  "
                print(f"  {name:22s} {rate}  p50 {load.p50:7.1f} ms  p95 {load.p95:7.1f} ms"
                      f"  p99 {load.p99:7.1f} ms  ({load.requests:,} calls, {connections} connections)"
                      f"{load.errors}", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        report(results)
        if args.keep:
            print(f"working folder kept: {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(results: dict[str, Load | str]) -> None:
    print("\nfigure | result | target | verdict")
    peer = results.get("datasette")
    base = peer.per_second if isinstance(peer, Load) else None

    def line(figure: str, result: str, target: str, ok: bool | None) -> None:
        print(f"{figure} | {result} | {target} | {'—' if ok is None else verdict(ok)}")

    if isinstance(peer, Load):
        line("Datasette row by primary key (JSON)", f"{peer.per_second:,.0f} req/s, p99 {peer.p99:.1f} ms",
             "the peer", None)
    else:
        line("Datasette row by primary key (JSON)", str(peer), "the peer", None)
    for name, share, label in (("lookup", 1.0, "public lookup"), ("verify", 0.5, "verify (key, audited, signed)")):
        load = results.get(name)
        if not isinstance(load, Load):
            line(label, str(load), "", False)
            continue
        if base:
            ratio = load.per_second / base
            line(f"{label} throughput", f"{load.per_second:,.0f} req/s = {ratio:.2f}× Datasette",
                 f"≥ {share:g}× Datasette", ratio >= share and not load.errors)
        line(f"{label} p99, {load.connections} connections flat out", f"{load.p99:.1f} ms", "—", None)
        paced, peer_paced = results.get(f"{name}, paced"), results.get("datasette, paced")
        if isinstance(paced, Load):
            also = f"; Datasette at {peer_paced.per_second:,.0f} req/s: p99 {peer_paced.p99:.1f} ms" \
                if isinstance(peer_paced, Load) and name == "lookup" else ""
            line(f"{label} p99 at the load Datasette carries{' (half)' if share < 1 else ''}",
                 f"{paced.p99:.1f} ms at {paced.per_second:,.0f} req/s{also}", "< 20 ms",
                 paced.p99 < 20 and not paced.errors)
    batch = results.get("batch")
    if isinstance(batch, Load):
        items = batch.per_second * BATCH_ITEMS
        line(f"verify/batch, {BATCH_ITEMS:,} items a call", f"{items:,.0f} items/s (p50 {batch.p50:,.0f} ms a call)",
             "≥ 100,000 items/s", items >= 100_000 and not batch.errors)
    else:
        line("verify/batch", str(batch), "", False)
    for name in ("search", "search, one at a time"):  # flat out, search queues as any CPU-bound call does
        load = results.get(name)
        judged = name != "search"
        if isinstance(load, Load):
            line(f"{name} p95 ({load.connections} connections{'' if judged else ' flat out'})",
                 f"{load.p95:.1f} ms ({load.per_second:,.0f} req/s)", "< 50 ms" if judged else "—",
                 load.p95 < 50 and not load.errors if judged else None)
        else:
            line(name, str(load), "< 50 ms", False)


if __name__ == "__main__":
    main()
