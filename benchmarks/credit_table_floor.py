"""What ``credit_records`` itself costs a row on PostgreSQL, index by index, against a bare ``COPY``.

The ingest benchmark (credit_ingest.py) compares ``jjjcredit credit ingest`` with a bare ``COPY`` of
the same CSV rows. This one asks how much of that ratio the table alone leaves, whatever the ingest
does: rows as the platform stores them are ``COPY``-ed into ``credit_records`` at a given size, with
its indexes, then with one index fewer at a time, beside a ``COPY`` of the same text into a plain
unindexed table.

1. A database (``--db``, created anew, dropped at the end unless ``--keep``) upgraded and given a
   published catalogue with the project's own commands; ``--template`` penalty rows (generated as
   credit_ingest.py generates them) ingested with ``jjjcredit credit ingest``: real stored rows.
2. ``credit_records`` filled to ``--rows`` records by copying those stored rows in SQL under new keys
   (a subject drawn from 5,000,000 — keys of a code's length and shape made from a hash, not valid codes:
   the table never checks them, and the database is dropped —, a new record id; the values, with their
   valid codes, are the template's), with the table's indexes dropped and then built
   again from their own definitions (``pg_get_indexdef``), then vacuumed.
3. Batches of ``--batch`` more stored rows written to files (``COPY … TO``), and each
   ``COPY``-ed in, one stream, a checkpoint before each: (a) into a plain table of the same columns,
   unindexed, unpartitioned — the peer; (b) into ``credit_records`` as it is; then without its triggers
   (the exchange's, 0025, which note each statement's versions for the feed), without each of its
   secondary indexes in turn (today one: the hash index by id), and without the primary key too
   (partitions, no index).

The batches go as ``--format`` says: ``binary`` (as the ingest writes records, storage/bulk.copy_arrow) or
``text`` (COPY's own text, as it wrote them before), or ``both``: each step with each format in turn.

The server's settings that decide the figures (``shared_buffers``, ``max_wal_size``, …) are printed;
run it again after changing them to see what they are worth.

Run: ``JJJCREDIT_SIGNING_KEY_SECRET=bench .venv/bin/python -u benchmarks/credit_table_floor.py
[--rows 10000000] [--batch 1000000] [--format binary|text|both] [--db URL] [--keep]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from credit_ingest import (
    CITIES,
    DEPARTMENTS,
    ITEM,
    create_database,
    drop_database,
    prepare,
    psycopg_url,
    server_settings,
    write_files,
)
from machine import header

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench_credit_floor"
SUBJECTS = 5_000_000


def _columns(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'credit_records'::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum")]


def _one(conn: psycopg.Connection, query: str) -> tuple[Any, ...]:
    """The one row a query answers."""
    row = conn.execute(query).fetchone()
    assert row is not None, query
    return row


def _copied(columns: list[str], first: int, count: int, template: int) -> str:
    """The template's rows again, as many times as needed, under new keys: records numbered ``first`` …
    ``first + count - 1`` (their subjects drawn from :data:`SUBJECTS`, their ids and numbers new)."""
    number = f"({first} + p * {template} + t.tn)"
    subject = f"'91' || upper(substr(md5(({number} % {SUBJECTS})::text), 1, 16))"
    keyed = {"subject_key": subject, "subject_code": subject, "id": f"md5({number}::text || 'id')",
             "document_number": f"'罚〔2026〕' || {number} || '号'"}
    chosen = ", ".join(keyed.get(c, f"t.{c}") for c in columns)
    passes = -(-count // template)
    return (f"SELECT {chosen} FROM credit_records_template t CROSS JOIN generate_series(0, {passes - 1}) p "
            f"WHERE p * {template} + t.tn < {count}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000, help="records in the table before the batches")
    parser.add_argument("--batch", type=int, default=1_000_000, help="stored rows a measured COPY")
    parser.add_argument("--template", type=int, default=200_000, help="penalty rows ingested by the platform")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--data-dir", help="where the files go (default: a temporary folder)")
    parser.add_argument("--format", choices=("binary", "text", "both"), default="binary",
                        help="how the batches are COPY-ed (binary: as the ingest writes records)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    header("credit_records' own cost a row, index by index (PostgreSQL)")
    url = psycopg_url(args.db)
    with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:
        work = Path(scratch)
        create_database(url)
        try:
            run(url, args, work)
        finally:
            if not args.keep:
                drop_database(url)


def run(url: str, args: argparse.Namespace, work: Path) -> None:
    prepare(url)
    files = write_files(work, args.template, args.template, 0, 2026, 1)
    path, provider, _count = files[0]
    done = subprocess.run([sys.executable, "-m", "jjjcredit", "credit", "ingest", str(path), "--item", ITEM,
                           "--provider", provider, "--db", url], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"credit ingest failed: {done.stderr.strip()[-1500:]}")
    path.unlink()
    with psycopg.connect(url, autocommit=True) as conn:
        print(f"server: {server_settings(url)}")
        columns = _columns(conn)
        conn.execute("CREATE TABLE credit_records_template AS "
                     "SELECT *, row_number() OVER () - 1 AS tn FROM credit_records")
        template = _one(conn, "SELECT count(*), avg(pg_column_size(r.*)) FROM credit_records r")
        conn.execute("DELETE FROM credit_records")
        print(f"template: {template[0]:,} stored rows made by `credit ingest`, {template[1]:,.0f} bytes a row "
              f"on average (from {CITIES[0][0]}{DEPARTMENTS[0][0]}'s penalties)")
        indexes = [r[0].replace(" ON ONLY ", " ON ") for r in conn.execute(  # (on every partition)
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'credit_records'::regclass "
            "AND NOT indisprimary ORDER BY indexrelid::regclass::text")]
        primary = _one(conn, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                             "WHERE conrelid = 'credit_records'::regclass AND contype = 'p'")
        names = [r[0] for r in conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'credit_records'::regclass "
            "AND NOT indisprimary ORDER BY indexrelid::regclass::text")]
        conn.execute(f"ALTER TABLE credit_records DROP CONSTRAINT {primary[0]}")
        for name in names:
            conn.execute(f"DROP INDEX {name}")
        started = time.perf_counter()
        made = 0
        while made < args.rows:  # a million at a time
            count = min(1_000_000, args.rows - made)
            conn.execute(f"INSERT INTO credit_records ({', '.join(columns)}) "
                         + _copied(columns, made, count, template[0]))
            made += count
        filled = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(f"ALTER TABLE credit_records ADD CONSTRAINT {primary[0]} {primary[1]}")
        for definition in indexes:
            conn.execute(definition)
        built = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE credit_records")
        size = _one(conn, "SELECT sum(pg_relation_size(inhrelid)), sum(pg_indexes_size(inhrelid)) "
                          "FROM pg_inherits WHERE inhparent = 'credit_records'::regclass")
        print(f"filled: {made:,} records in {filled:,.1f} s, indexes built in {built:,.1f} s; heap "
              f"{size[0] / 2**30:,.2f} GiB, indexes {size[1] / 2**30:,.2f} GiB ({', '.join(names)}, primary key)")
        triggers = [r[0] for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'credit_records'::regclass AND NOT tgisinternal")]
        steps: list[tuple[str, str | None]] = [
            ("credit_records, primary key + every index" + (" + triggers" if triggers else ""), None)]
        if triggers:  # the exchange's (0025): each write's versions noted for the feed's numbering
            steps.append(("… without its triggers", "ALTER TABLE credit_records DISABLE TRIGGER USER"))
        steps += [(f"… without {name}", f"DROP INDEX {name}") for name in reversed(names)]
        steps.append(("… without the primary key (partitions, no index)",
                      f"ALTER TABLE credit_records DROP CONSTRAINT {primary[0]}"))
        formats = ("binary", "text") if args.format == "both" else (args.format,)
        batches: list[list[Path]] = []
        for k in range(len(steps)):
            batches.append([])
            for f, kind in enumerate(formats):
                batch = work / f"batch{k}.{kind}"
                query = _copied(columns, args.rows + (k * len(formats) + f) * args.batch, args.batch, template[0])
                with conn.cursor().copy(f"COPY ({query}) TO STDOUT WITH (FORMAT {kind})") as copy, \
                        batch.open("wb") as fh:
                    for data in copy:
                        fh.write(data)
                batches[-1].append(batch)
        conn.execute("CREATE TABLE bench_floor_plain (LIKE credit_records)")

        def copy_in(table: str, batch: Path) -> float:
            conn.execute("CHECKPOINT")
            started = time.perf_counter()
            with conn.cursor().copy(f"COPY {table} FROM STDIN WITH (FORMAT {batch.suffix[1:]})") as copy, \
                    batch.open("rb") as fh:
                while data := fh.read(1 << 20):
                    copy.write(data)
            return time.perf_counter() - started

        print(f"\nCOPY of {args.batch:,} stored rows ({batches[0][0].stat().st_size / 1e6:,.0f} MB), one stream, "
              f"into a table of {made:,} records:")
        plain: dict[str, float] = {}
        for batch in batches[0]:
            plain[batch.suffix] = copy_in("bench_floor_plain", batch)
            conn.execute("TRUNCATE bench_floor_plain")
            label = f"plain table, unindexed (the peer), {batch.suffix[1:]}"
            print(f"  {label:58} {plain[batch.suffix]:7.1f} s  {args.batch / plain[batch.suffix]:9,.0f} rows/s  "
                  "100 %", flush=True)
        for (label, change), made_batches in zip(steps, batches, strict=True):
            if change:
                conn.execute(change)
            for batch in made_batches:
                seconds = copy_in("credit_records", batch)
                shown = f"{label}, {batch.suffix[1:]}"
                print(f"  {shown:58} {seconds:7.1f} s  {args.batch / seconds:9,.0f} rows/s  "
                      f"{plain[batch.suffix] / seconds:4.0%}", flush=True)


if __name__ == "__main__":
    main()
