"""Library ingest against the bare database doing the same work, in the same run.

Figures (issue "The basic resource library"):

1. first ingest of an N-row file vs a bare ``executemany`` of the same rows into a table of the
   same columns (SQLite), or a bare ``COPY`` of the same CSV (PostgreSQL, ``--postgres URL``);
2. re-ingesting the same file (recognised by its hash), and the same rows in a file with another hash
   (every row compared and found unchanged), vs the first ingest;
3. a 1% update file against the N-row library, and another against the library grown to 2N rows;
4. peak memory: the ingest process and its reader process together (sum of their proportional set
   sizes, sampled).

Run: ``.venv/bin/python benchmarks/library_ingest.py [--rows 1000000] [--postgres postgresql://...]``
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

from jjjcredit.core.codes import uscc

HEADER = ["统一社会信用代码", "机构名称", "状态", "成立日期", "最后更新日期", "法定代表人或负责人姓名", "注册地址",
          "注册地址行政区划代码"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
TRADES = "华鑫盛达宏泰恒丰瑞祥金源信德隆昌永兴安康福"
REGIONS = ("130102", "130104", "130105", "130108", "130109", "130110", "130111")


def write_file(path: Path, rows: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    codes: dict[str, None] = {}
    while len(codes) < rows:
        codes[uscc.generate(rng, "9", "1", rng.choice(REGIONS))] = None
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i, code in enumerate(codes):
            trade = rng.choice(TRADES) + rng.choice(TRADES)
            writer.writerow([code, f"石家庄{trade}{i}机械制造有限公司", "存续", "2015-03-05", "2024-06-30",
                             rng.choice(SURNAMES) + rng.choice(TRADES), f"石家庄市长安区建设北大街{i % 900}号",
                             code[2:8]])
    return list(codes)


def write_update(path: Path, source: Path, share: float, seed: int = 2) -> int:
    rng = random.Random(seed)
    changed = 0
    with source.open(encoding="utf-8") as fin, path.open("w", encoding="utf-8", newline="") as fout:
        reader, writer = csv.reader(fin), csv.writer(fout)
        writer.writerow(next(reader))
        for row in reader:
            if rng.random() < share:
                row[1] = row[1].replace("机械制造", "智能科技")
                row[4] = "2025-09-01"
                writer.writerow(row)
                changed += 1
    return changed


def _tree_pss_kib(root: int) -> int:
    """The memory of a process and all its descendants (the ingest and its reader), as the sum of
    their proportional set sizes (KiB): pages a fork shares are counted once, not once per process."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def peak_of(command: list[str]) -> tuple[float, int, dict[str, Any]]:
    """Wall seconds, peak memory (KiB: the largest sum of the command's processes' proportional set
    sizes, sampled every 0.2 s — the ingest and its reader process together) and the JSON summary of
    a command."""
    import threading

    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_pss_kib(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode not in (0, 1):
        sys.exit(f"{shlex.join(command)} failed (exit {process.returncode}): {err.strip()[-2000:]}")
    return seconds, peak[0], json.loads(out)


def split(wall: float, summary: dict[str, Any]) -> tuple[float, float]:
    """The command's wall time as (library: until the batch committed, search keys refreshed after)."""
    search = float(summary.get("search", {}).get("seconds", 0.0))
    return wall - search, search


def bare_sqlite(path: Path, db: Path) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"CREATE TABLE bare ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))}, PRIMARY KEY (c0))")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        with conn:
            conn.executemany(f"INSERT INTO bare VALUES ({', '.join('?' * len(HEADER))})", reader)
    conn.close()
    return time.perf_counter() - start


def bare_copy(path: Path, url: str) -> float:
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare")
        conn.execute(f"CREATE TABLE bench_bare ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))}, "
                     "PRIMARY KEY (c0))")
        with conn.cursor() as cur, cur.copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        conn.execute("DROP TABLE bench_bare")
    return time.perf_counter() - start


def floor_postgres(url: str) -> float:
    """The database's own share of a first ingest: seconds to COPY, in one transaction, the rows the
    ingest wrote (organizations and their change-feed entries, copied out of the library as they are)
    into empty tables with the library's columns and indexes. What no client can go below with this
    schema; the bare COPY of the file writes one table with one index."""
    import io

    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        texts = {}
        for table in ("organizations", "changes"):
            buffer = io.BytesIO()
            with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            texts[table] = buffer.getvalue()
            conn.execute(f"DROP TABLE IF EXISTS floor_{table}")
            conn.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
        conn.commit()
        start = time.perf_counter()
        for table, text in texts.items():
            with conn.cursor().copy(f"COPY floor_{table} FROM STDIN") as copy:
                for at in range(0, len(text), 1 << 20):
                    copy.write(text[at:at + (1 << 20)])
        conn.commit()
        seconds = time.perf_counter() - start
        for table in texts:
            conn.execute(f"DROP TABLE floor_{table}")
        conn.commit()
    return seconds


def reset_postgres(url: str) -> None:
    """Start from an empty database: the benchmark database's tables are replaced."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def report_size_and_lookups(name: str, url: str, tmp: Path, codes: list[str], lookups: int = 2_000) -> None:
    """Database size, and the latency of looking one organization up by code (p50/p99)."""
    from sqlalchemy import text

    from jjjcredit.services.library import library
    from jjjcredit.storage.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        if name == "SQLite":
            size = (tmp / "lib.sqlite3").stat().st_size
        else:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        rng = random.Random(3)
        times = []
        for code in rng.sample(codes, min(lookups, len(codes))):
            start = time.perf_counter()
            library.get_organization(conn, code)
            times.append(time.perf_counter() - start)
    engine.dispose()
    times.sort()
    print(f"  database size: {size / 1e6:,.0f} MB; lookup by code over {len(times):,} random codes: "
          f"p50 {times[len(times) // 2] * 1e3:.2f} ms, p99 {times[int(len(times) * 0.99)] * 1e3:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL (its tables are replaced)")
    parser.add_argument("--scale", action="store_true",
                        help="the JJJ-scale run: first ingest, database size and lookup latency only")
    args = parser.parse_args()
    header(f"library ingest: {args.rows:,} rows")
    cli = [sys.executable, "-m", "jjjcredit"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "orgs.csv"
        codes = write_file(data, args.rows)
        same_rows = tmp / "orgs-again.csv"
        shutil.copy(data, same_rows)
        with same_rows.open("a", encoding="utf-8") as fh:
            fh.write("\n")  # another hash, the same rows
        update = tmp / "update.csv"
        changed = write_update(update, data, 0.01)
        more, update2, changed2 = tmp / "more.csv", tmp / "update2.csv", 0
        if not args.scale:
            write_file(more, args.rows, seed=5)  # as many other organizations, to double the library
            changed2 = write_update(update2, data, 0.01, seed=3)
        print(f"file: {data.stat().st_size / 1e6:,.0f} MB, {len(HEADER)} columns; update file: {changed:,} rows")

        targets: list[tuple[str, str, Callable[[], float], str]] = [
            ("SQLite", f"sqlite:///{tmp / 'lib.sqlite3'}", lambda: bare_sqlite(data, tmp / "bare.sqlite3"),
             "bare executemany")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres, lambda: bare_copy(data, args.postgres), "bare COPY"))
        for name, url, bare, bare_name in targets:
            if name == "PostgreSQL":
                reset_postgres(url)
            subprocess.run([*cli, "db", "upgrade", "--db", url], check=True, capture_output=True)
            ingest = [*cli, "library", "ingest"]
            if args.scale:
                wall, rss, summary = peak_of([*ingest, str(data), "--source", "hebei/market-regulation", "--db", url])
                first, keys = split(wall, summary)
                print(f"\n{name}: first ingest {first:,.1f} s ({args.rows / first:,.0f} rows/s) until the batch "
                      f"committed, then search keys {keys:,.1f} s; peak memory {rss / 1024:,.0f} MiB "
                      "(ingest and reader processes, PSS)")
                report_size_and_lookups(name, url, tmp, codes)
                continue
            bare_seconds = bare()
            wall, rss, summary = peak_of([*ingest, str(data), "--source", "hebei/market-regulation", "--db", url])
            first, keys = split(wall, summary)
            floor = floor_postgres(url) if name == "PostgreSQL" else None
            again, _, _ = peak_of([*ingest, str(data), "--source", "hebei/market-regulation", "--db", url])
            same, _, _ = peak_of([*ingest, str(same_rows), "--source", "hebei/market-regulation", "--db", url])
            upd, upd_rss, upd_summary = peak_of([*ingest, str(update), "--source", "hebei/market-regulation",
                                                 "--db", url])
            print(f"\n{name}")
            print(f"  {bare_name:28s} {bare_seconds:8.2f} s  ({args.rows / bare_seconds:,.0f} rows/s)")
            print(f"  jjjcredit library ingest     {first:8.2f} s  ({args.rows / first:,.0f} rows/s)  "
                  f"= {bare_seconds / first:.0%} of bare (target ≥ 40%): the command until its batch committed")
            if floor is not None:
                print(f"  the schema's floor           {floor:8.2f} s  (COPY of the rows the ingest wrote, "
                      "organizations and feed, into empty tables with the library's indexes = "
                      f"{bare_seconds / floor:.0%} of bare; "
                      f"the ingest took {first / floor:.1f}x that)")
            print(f"  + search keys refreshed      {keys:8.2f} s  (after the commit; the whole command "
                  f"{wall:.2f} s = {bare_seconds / wall:.0%} of bare)")
            print(f"  re-ingest, same file         {again:8.2f} s  ({first / again:,.0f}x faster than first; "
                  "target ≥ 3x)")
            print(f"  re-ingest, same rows         {same:8.2f} s  ({first / same:,.1f}x faster than first: "
                  "every row read, checked and looked up; the target's re-ingest is the same file, line above)")
            upd_batch, first_batch = float(upd_summary["seconds"]), float(summary["seconds"])
            print(f"  1% update ({changed:,} rows)     {upd:8.2f} s  ({upd / first:.1%} of the first ingest; the batch "
                  f"itself {upd_batch:.2f} s = {upd_batch / first_batch:.1%} of the first's {first_batch:.2f} s, "
                  "the rest is the command's start-up and search keys)")
            print(f"  peak memory (ingest and reader processes, PSS): first ingest {rss / 1024:,.0f} MiB, "
                  f"update {upd_rss / 1024:,.0f} MiB")
            report_size_and_lookups(name, url, tmp, codes)
            # The same size of update against a library twice as big: the batch should take as long.
            subprocess.run([*ingest, str(more), "--source", "hebei/market-regulation", "--db", url], check=True,
                           capture_output=True)
            _, _, upd2_summary = peak_of([*ingest, str(update2), "--source", "hebei/market-regulation", "--db", url])
            upd2_batch = float(upd2_summary["seconds"])
            print(f"  1% update ({changed2:,} rows) after {args.rows:,} more organizations (the library twice "
                  f"as big): the batch {upd2_batch:.2f} s = {upd2_batch / upd_batch:.2f}x the batch at "
                  f"{args.rows:,}, for {changed2 / changed:.2f}x the rows")


if __name__ == "__main__":
    main()
