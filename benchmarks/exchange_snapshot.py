"""A full snapshot of the library exported and imported in each format, against bare peers, in the same run.

Figures (the exchange issue: "a full snapshot of 1,000,000 organizations exported and imported"):

1. ``jjjcredit exchange export`` of a full snapshot of organizations (``--audience``, government by
   default: the columns node-to-node sharing carries) in each format — jsonl, csv, xml, parquet — rows/s
   and the data file's size, against its peer: for jsonl, csv and xml a bare ``COPY (SELECT the same
   columns FROM organizations ORDER BY uscc) TO`` a CSV file; for parquet a bare pyarrow write of the same
   rows (a server-side cursor's batches, each a record batch of text columns, zstd, no statistics — the
   exchange's own options);
2. ``jjjcredit exchange import`` of that package into a fresh empty database on the same server (the
   producer, ``hebei``, registered first as a peer of the receiving node, ``beijing``, with ``exchange
   keys`` and ``exchange peers add``) — rows/s against its peer: a bare ``COPY FROM`` of the CSV file into
   an unindexed table of text columns; for parquet a bare pyarrow read of the parquet file, written as CSV
   into memory by pyarrow and ``COPY``-ed into the same kind of table;
3. the peak resident set of each export and import process (/proc/PID/status, sampled every 0.2 s);
4. the round trip: the receiving node's own export of the same format gives the same data file bytes.

The library is built the way other benchmarks build one: ``jjjcredit demo-data --count N --mistakes 0
--no-credit``, ``db upgrade``, then ``library ingest`` of every department file (full files first, then
the name-change files) — so N organizations, a few more rows in the files. The database (``--db``,
default ``postgresql://postgres@127.0.0.1:5432/bench_exchange``) is created and dropped at the end unless
``--keep``; ``--reuse`` takes a kept one as it is. The receiving database is ``<name>_in`` on the same
server, made anew for every format and dropped. ``--db sqlite:///path`` runs the same on SQLite files
(the peers then read with ``sqlite3`` and write CSV with the ``csv`` module, and load with
``executemany``).

Every command is a subprocess, timed from its start to its end (so each figure includes the ~1 s start of
the command line); rows/s are the package's rows over that.

Run: ``JJJCREDIT_SIGNING_KEY_SECRET=bench .venv/bin/python -u benchmarks/exchange_snapshot.py [--rows 1000000]
[--db URL] [--formats jsonl,csv,xml,parquet] [--audience government] [--keep] [--reuse]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench_exchange"
FORMATS = ("jsonl", "csv", "xml", "parquet")
PEER_BATCH = 100_000


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "jjjcredit", *args]


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def receiver_url(url: str) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{sqlite_path(url).with_suffix('')}_in.sqlite3"
    return f"{url}_in"


def create_database(url: str) -> None:
    drop_database(url)
    if not url.startswith("sqlite"):
        import psycopg

        base, name = psycopg_url(url).rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path(url)}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, name = psycopg_url(url).rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def organizations_held(url: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    from jjjcredit.storage.engine import make_engine

    if url.startswith("sqlite") and not sqlite_path(url).exists():
        return 0
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM organizations")).scalar_one())
    except (DBAPIError, OperationalError):
        return 0
    finally:
        engine.dispose()


def run(command: list[str], env: dict[str, str] | None = None, what: str = "") -> tuple[float, int, str]:
    """Wall seconds, peak resident set (KiB) and stdout of one command; stops the benchmark when it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], peak_kib(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{what or shlex.join(command)} failed (exit {process.returncode}): {err.strip()[-2000:]}")
    return seconds, peak[0], out


def peak_kib(pid: int) -> int:
    """The largest resident set a process has had so far (KiB: /proc/PID/status VmHWM, else VmRSS); 0 once
    it is gone."""
    found = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                found = max(found, int(line.split()[1]))
    except (OSError, ValueError):
        pass
    return found


def build_library(url: str, rows: int, work: Path, regions: tuple[str, ...] = ()) -> None:
    """Department files from ``demo-data`` (of ``regions``; none given: the three), the schema, every file
    ingested (full files, then changes)."""
    print(f"building the library: {rows:,} organizations", flush=True)
    create_database(url)
    demo = work / "demo"
    only = ["--regions", ",".join(regions)] if regions else []
    seconds, _, _ = run(cli("demo-data", "--count", str(rows), "--out", str(demo), "--mistakes", "0", "--jobs", "2",
                            "--no-credit", *only))
    print(f"  jjjcredit demo-data --count {rows}: {seconds:,.1f} s", flush=True)
    run(cli("db", "upgrade", "--db", url))
    files = sorted(demo.glob("*.csv"), key=lambda p: (p.name.endswith("-changes.csv"), p.name))
    start = time.perf_counter()
    for path in files:
        region, department = path.stem.removesuffix("-changes").split("-", 1)
        run(cli("library", "ingest", str(path), "--source", f"{region}/{department}", "--db", url))
    print(f"  jjjcredit library ingest, {len(files)} files: {time.perf_counter() - start:,.1f} s", flush=True)
    shutil.rmtree(demo)


# --- the peers -------------------------------------------------------------------------------------------


def select_sql(columns: list[str]) -> str:
    return f"SELECT {', '.join(columns)} FROM organizations ORDER BY uscc"


def copy_out(url: str, columns: list[str], path: Path) -> float:
    """The export's peer for text formats: the same columns of every organization, by code, into a CSV file."""
    start = time.perf_counter()
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as conn, path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(conn.execute(select_sql(columns)))
        return time.perf_counter() - start
    import psycopg

    with psycopg.connect(psycopg_url(url)) as pg, path.open("wb") as out, pg.cursor().copy(
            f"COPY ({select_sql(columns)}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
        for block in copy:
            out.write(block)
    return time.perf_counter() - start


def _bare_table(conn: Any, columns: list[str]) -> None:
    conn.execute("DROP TABLE IF EXISTS bench_bare")
    conn.execute(f"CREATE TABLE bench_bare ({', '.join(f'{c} text' for c in columns)})")


def copy_in(url: str, columns: list[str], path: Path) -> float:
    """The import's peer for text formats: the CSV file into an unindexed table of text columns."""
    start = time.perf_counter()
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as conn, path.open(encoding="utf-8", newline="") as fh:
            _bare_table(conn, columns)
            reader = csv.reader(fh)
            next(reader)
            conn.executemany(f"INSERT INTO bench_bare VALUES ({', '.join('?' * len(columns))})",
                             ([v or None for v in row] for row in reader))
        return time.perf_counter() - start
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        _bare_table(conn, columns)
        with conn.cursor().copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
    return time.perf_counter() - start


def _batches(url: str, columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as conn:
            cursor = conn.execute(select_sql(columns))
            while batch := cursor.fetchmany(PEER_BATCH):
                yield batch
        return
    import psycopg

    with psycopg.connect(psycopg_url(url)) as pg, pg.cursor(name="bench_peer") as named:
        named.execute(select_sql(columns))
        while batch := named.fetchmany(PEER_BATCH):
            yield batch


def parquet_out(url: str, columns: list[str], path: Path) -> float:
    """The parquet export's peer: the same rows read in batches, each written by pyarrow as a record batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    schema = pa.schema([(c, pa.string()) for c in columns])
    with pq.ParquetWriter(path, schema, compression="zstd", write_statistics=False) as writer:
        for batch in _batches(url, columns):
            writer.write_batch(pa.record_batch([pa.array([r[i] or None for r in batch], type=pa.string())
                                                for i in range(len(columns))], schema=schema))
    return time.perf_counter() - start


def parquet_in(url: str, columns: list[str], path: Path) -> float:
    """The parquet import's peer: pyarrow reads the file and writes it as CSV in memory, COPY-ed into an
    unindexed table of text columns (SQLite: its rows inserted with executemany)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pq.read_table(path)
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as conn:
            _bare_table(conn, columns)
            for batch in table.to_batches(PEER_BATCH):
                conn.executemany(f"INSERT INTO bench_bare VALUES ({', '.join('?' * len(columns))})",
                                 zip(*(c.to_pylist() for c in batch.columns), strict=True))
        return time.perf_counter() - start
    import psycopg

    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    with psycopg.connect(psycopg_url(url)) as conn:
        _bare_table(conn, columns)
        with conn.cursor().copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            view = buffer.getbuffer()
            for at in range(0, len(view), 1 << 20):
                copy.write(view[at:at + (1 << 20)])
    return time.perf_counter() - start


# --- the run --------------------------------------------------------------------------------------------


def data_files(package: Path) -> list[Path]:
    """The package's data file, or its parts in order (not an XML package's schema)."""
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    return [package / f["name"] for f in manifest["files"] if not f["name"].endswith(".xsd")]


def data_digest(package: Path) -> list[str]:
    return [sha256(path) for path in data_files(package)]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="organizations in the library (demo-data --count)")
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL (created anew) or sqlite:///path")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--audience", default="government", help="the packages' audience: government or public")
    parser.add_argument("--keep", action="store_true", help="leave the library's database (for --reuse)")
    parser.add_argument("--reuse", action="store_true", help="take the library in --db as it is, when it has one")
    parser.add_argument("--work-dir", help="where the packages and peer files go (default: a temporary folder)")
    args = parser.parse_args()
    if not os.environ.get("JJJCREDIT_SIGNING_KEY_SECRET"):
        sys.exit("set JJJCREDIT_SIGNING_KEY_SECRET (packages are signed with the node's evidence key)")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    header("exchange: a full snapshot of the library, exported and imported" if args.reuse
           else f"exchange: a full snapshot of {args.rows:,} organizations, exported and imported")
    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    hebei = {"JJJCREDIT_NODE": "hebei"}
    beijing = {"JJJCREDIT_NODE": "beijing"}
    target = receiver_url(args.db)
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp_name:
        work = Path(tmp_name)
        held = organizations_held(args.db) if args.reuse else 0
        if held:
            print(f"reusing the library in {args.db}: {held:,} organizations")
        else:
            build_library(args.db, args.rows, work)
            held = organizations_held(args.db)
        _, _, keys = run(cli("exchange", "keys", "--db", args.db), hebei)
        keys_file = work / "hebei-keys.json"
        keys_file.write_text(keys, encoding="utf-8")

        results: dict[str, dict[str, Any]] = {}
        columns: list[str] = []
        for fmt in formats:
            out = work / f"out-{fmt}"
            out.mkdir()
            seconds, rss, stdout = run(cli("exchange", "export", "--out", str(out), "--format", fmt, "--audience",
                                           args.audience, "--db", args.db), hebei)
            package = Path(stdout.strip())
            manifest = json.loads((package / "manifest.json").read_text("utf-8"))
            columns = manifest["columns"]
            rows, parts = int(manifest["counts"]["rows"]), data_files(package)
            size = sum(path.stat().st_size for path in parts)
            result = results[fmt] = {"rows": rows, "export": seconds, "export_rss": rss, "bytes": size}
            print(f"  {fmt}: export {rows:,} rows in {seconds:,.1f} s ({rows / seconds:,.0f} rows/s), "
                  f"{size / 1e6:,.0f} MB in {len(parts)} file{'s' if len(parts) > 1 else ''}, peak RSS "
                  f"{rss / 1024:,.0f} MiB", flush=True)

            create_database(target)
            run(cli("db", "upgrade", "--db", target), beijing)
            run(cli("exchange", "peers", "add", "hebei", "--keys", str(keys_file), "--db", target), beijing)
            seconds, rss, stdout = run(cli("exchange", "import", str(package), "--receipt", str(work / "receipt.json"),
                                           "--db", target), beijing)
            receipt = json.loads(stdout)
            if receipt["status"] != "accepted" or receipt["rows"] != rows:
                sys.exit(f"the {fmt} package was not accepted whole: {json.dumps(receipt)[:2000]}")
            result |= {"import": seconds, "import_rss": rss, "counts": receipt["counts"]}
            print(f"  {fmt}: import {rows:,} rows in {seconds:,.1f} s ({rows / seconds:,.0f} rows/s; "
                  f"{receipt['counts']}), peak RSS {rss / 1024:,.0f} MiB", flush=True)

            again = work / f"again-{fmt}"
            again.mkdir()
            seconds, _, stdout = run(cli("exchange", "export", "--out", str(again), "--format", fmt, "--audience",
                                         args.audience, "--db", target), beijing)
            result["again"] = seconds
            result["same"] = data_digest(Path(stdout.strip())) == data_digest(package)
            print(f"  {fmt}: the receiving node's export ({seconds:,.1f} s) gives "
                  f"{'the same' if result['same'] else 'OTHER'} data file bytes", flush=True)
            drop_database(target)
            shutil.rmtree(out)
            shutil.rmtree(again)

        print(f"  peers: {len(columns)} columns ({', '.join(columns)})", flush=True)
        create_database(target)
        peer_csv, peer_parquet = work / "peer.csv", work / "peer.parquet"
        peers = {"copy_out": copy_out(args.db, columns, peer_csv)}
        peers["copy_in"] = copy_in(target, columns, peer_csv)
        if "parquet" in formats:
            peers["parquet_out"] = parquet_out(args.db, columns, peer_parquet)
            peers["parquet_in"] = parquet_in(target, columns, peer_parquet)
        drop_database(target)
        sizes = {"copy": peer_csv.stat().st_size,
                 "parquet": peer_parquet.stat().st_size if peer_parquet.exists() else 0}

    postgres = not args.db.startswith("sqlite")
    out_name = "COPY TO" if postgres else "SELECT → csv"
    in_name = "COPY FROM" if postgres else "executemany"
    print(f"\n{'PostgreSQL' if postgres else 'SQLite'}: {held:,} organizations, audience {args.audience}, "
          f"{len(columns)} columns")
    for fmt in formats:
        r = results[fmt]
        n = r["rows"]
        bare_out = peers["parquet_out"] if fmt == "parquet" else peers["copy_out"]
        bare_in = peers["parquet_in"] if fmt == "parquet" else peers["copy_in"]
        peer_out = "bare pyarrow write" if fmt == "parquet" else f"bare {out_name}"
        peer_in = f"bare pyarrow read + {in_name}" if fmt == "parquet" else f"bare {in_name}"
        print(f"  {fmt:8s} export {r['export']:8,.1f} s {n / r['export']:9,.0f} rows/s = {bare_out / r['export']:6.1%} "
              f"of {peer_out} ({n / bare_out:,.0f} rows/s); {r['bytes'] / 1e6:,.0f} MB; "
              f"peak RSS {r['export_rss'] / 1024:,.0f} MiB")
        print(f"  {'':8s} import {r['import']:8,.1f} s {n / r['import']:9,.0f} rows/s = {bare_in / r['import']:6.1%} "
              f"of {peer_in} ({n / bare_in:,.0f} rows/s); peak RSS {r['import_rss'] / 1024:,.0f} MiB; "
              f"round trip: {'same bytes' if r['same'] else 'DIFFERENT BYTES'} (re-export {r['again']:,.1f} s)")
    print(f"  peer files: CSV {sizes['copy'] / 1e6:,.0f} MB" + (f", parquet {sizes['parquet'] / 1e6:,.0f} MB"
                                                                if sizes["parquet"] else ""))
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if not args.keep:
        drop_database(args.db)
        print("(databases dropped)")


if __name__ == "__main__":
    main()
