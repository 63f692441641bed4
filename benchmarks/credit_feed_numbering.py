"""Numbering the exchange's credit feed: what an export or a federation poll pays to find the versions
written since the last one, against the peer in the same database — the anti-join over every version held
(what the numbering did before 0025: every current and replaced version looked up in the feed).

1. A database (``--db``, created anew, dropped at the end unless ``--keep``) upgraded and given a published
   catalogue with the project's own commands (as credit_ingest.py does); ``--rows`` penalty rows (generated
   as credit_ingest.py generates them) ingested with ``jjjcredit credit ingest`` in files of
   ``--file-rows``; the first numbering (every version held is new) timed.
2. ``--new`` more rows ingested (a new provider's file), then, in the same state of the database:
   the peer — the anti-join, run in a transaction rolled back (it numbers the same versions) — and the
   numbering itself (``feed.number_credit_versions``), each timed, ``--repeat`` times in turn (the peer's
   statement rolled back each time, the numbering's too but for the last).
3. Once all is numbered, the same two with nothing new: the cost of a poll that finds nothing.

PostgreSQL only (the anti-join on SQLite is the same scan on one file).

Run: ``JJJCREDIT_SIGNING_KEY_SECRET=bench .venv/bin/python -u benchmarks/credit_feed_numbering.py
[--rows 1000000] [--new 1000] [--db URL] [--data-dir DIR] [--keep]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from credit_ingest import ITEM, create_database, drop_database, prepare, server_settings, write_files
from machine import header
from sqlalchemy import Engine, text

from jjjcredit.services.exchange import feed
from jjjcredit.storage.engine import make_engine

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench_feed"
#: What numbering did before 0025: every version held, current and replaced, not in the feed.
ANTI_JOIN = (
    "INSERT INTO exchange_credit_feed (record_id, version, seq) "
    "SELECT id, version, :last + ROW_NUMBER() OVER (ORDER BY at, id, version) FROM ("
    "SELECT r.id AS id, r.version AS version, r.updated_at AS at FROM credit_records r WHERE NOT EXISTS "
    "(SELECT 1 FROM exchange_credit_feed f WHERE f.record_id = r.id AND f.version = r.version) "
    "UNION ALL SELECT v.record_id, v.version, v.at FROM credit_record_versions v WHERE NOT EXISTS "
    "(SELECT 1 FROM exchange_credit_feed f WHERE f.record_id = v.record_id AND f.version = v.version)) AS u")


def ingest(url: str, path: Path, provider: str) -> None:
    subprocess.run([sys.executable, "-m", "jjjcredit", "credit", "ingest", str(path), "--item", ITEM, "--provider",
                    provider, "--db", url], check=True, stdout=subprocess.DEVNULL)


def timed(engine: Engine, numbering: bool, keep: bool) -> tuple[float, int]:
    """Seconds and versions numbered by the numbering (``numbering``) or by the anti-join; rolled back
    unless ``keep``."""
    with engine.connect() as conn:
        transaction = conn.begin()
        last = int(conn.execute(text("SELECT value FROM counters WHERE name = 'exchange_credit'")).scalar_one())
        started = time.perf_counter()
        if numbering:
            count = feed.number_credit_versions(conn) - last
        else:
            count = conn.execute(text(ANTI_JOIN), {"last": last}).rowcount
        seconds = time.perf_counter() - started
        (transaction.commit if keep else transaction.rollback)()
    return seconds, count


def compare(engine: Engine, repeat: int, label: str) -> None:
    ours: list[float] = []
    peer: list[float] = []
    counts: set[tuple[int, int]] = set()
    for i in range(repeat):
        p_seconds, p_count = timed(engine, numbering=False, keep=False)
        o_seconds, o_count = timed(engine, numbering=True, keep=i == repeat - 1)
        peer.append(p_seconds)
        ours.append(o_seconds)
        counts.add((o_count, p_count))
    (o_count, p_count), = counts
    o, p = statistics.median(ours), statistics.median(peer)
    print(f"  {label}: numbering {o * 1000:9,.1f} ms ({o_count:,} versions) | the anti-join over every version held "
          f"{p * 1000:9,.1f} ms ({p_count:,}) → {p / o:,.0f}× (medians of {repeat})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="records held before the new ones")
    parser.add_argument("--file-rows", type=int, default=500_000)
    parser.add_argument("--new", type=int, default=1_000, help="records written after the first numbering")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--data-dir", help="where the CSV files go (kept; files already there are reused)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("JJJCREDIT_SIGNING_KEY_SECRET"):
        sys.exit("set JJJCREDIT_SIGNING_KEY_SECRET (natural persons' numbers are sealed under it)")
    header(f"exchange credit feed numbering: {args.rows:,} records held, {args.new:,} new")
    create_database(args.db)
    prepare(args.db)
    print(f"server: {server_settings(args.db)}", flush=True)
    engine = make_engine(args.db)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            directory = Path(args.data_dir or tmp_name)
            directory.mkdir(parents=True, exist_ok=True)
            files = write_files(directory, args.rows, args.file_rows, 0, 2026)
            started = time.perf_counter()
            for path, provider, _n in files:
                ingest(args.db, path, provider)
            print(f"  ingested {args.rows:,} records in {time.perf_counter() - started:,.1f} s", flush=True)
            seconds, count = timed(engine, numbering=True, keep=True)
            print(f"  the first numbering: {count:,} versions in {seconds:,.1f} s", flush=True)
            (directory / "new").mkdir(exist_ok=True)
            (path, provider, _n), = write_files(directory / "new", args.new, args.new, args.rows, 2027)
            ingest(args.db, path, provider + "（新）")
            compare(engine, args.repeat, f"{args.new:,} new")
            compare(engine, args.repeat, "nothing new")
    finally:
        engine.dispose()
        if not args.keep:
            drop_database(args.db)
            print("  (database dropped)")


if __name__ == "__main__":
    main()
