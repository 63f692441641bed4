"""Credit records ingest against a bare ``COPY`` of the same rows, in the same run (PostgreSQL).

Generates (seeded) N administrative penalty rows (JJJ-03-001, the national column headers of
``SAMPLE_PENALTY``) into CSV files of ``--file-rows`` rows each, written as they are made (never held
in memory): 违法事实 and 处罚内容 of realistic lengths (tens to a few hundred characters), valid
unified social credit codes (``uscc.generate`` with a seeded ``random.Random``) for a pool of
subjects drawn with a skew (a few subjects with dozens of records, most with one to a few), and
about 3% natural persons with valid resident identity numbers. One file = one provider (a
department of one city), so a file is one batch. Then:

1. the peer: a bare ``COPY`` of every file (the same columns, as text) into a plain unindexed table;
2. ``jjjcredit credit ingest`` of the same files through the project's own command (one subprocess
   a file), rows/s, as a % of the COPY's (target ≥ 40%);
3. memory: the ingest's, with the process a large file is checked in (the sum of their proportional
   sets, sampled every 0.2 s from /proc): the peak over the first 10% of the rows (by time) and over
   all of them, and each file's peak — flat when ingest streams.

The database (``--db``, default ``postgresql://postgres@127.0.0.1:5432/bench_credit``) is created,
upgraded and given a published 2026 catalogue edition, then dropped at the end unless ``--keep``
(benchmarks/credit_records_read.py reads it). ``--append`` ingests more files into a kept database
(rows numbered after ``--start``), without the COPY peer. ``--db sqlite:///…`` builds a SQLite
database the same way (no COPY peer there).

Run: ``JJJCREDIT_SIGNING_KEY_SECRET=bench .venv/bin/python -u benchmarks/credit_ingest.py
[--rows 10000000] [--file-rows 2000000] [--db URL] [--data-dir DIR] [--keep]``
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.credit.records import SAMPLE_PENALTY

HEADER = list(SAMPLE_PENALTY)
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench_credit"
ITEM = "JJJ-03-001"
YEAR = "2026"
#: Subjects the rows are drawn from (organizations; natural persons are a separate pool of 1/20 of it).
SUBJECTS = 5_000_000
PERSON_SHARE = 0.03
PERSON_REGIONS = ("130102", "130104", "130105", "110105", "110108", "120101", "130602", "131002")
#: (city, region code, prefix of the decision numbers) — one provider per file, in turn.
CITIES = (("石家庄市", "130100", "石"), ("唐山市", "130200", "唐"), ("保定市", "130600", "保"),
          ("廊坊市", "131000", "廊"), ("邯郸市", "130400", "邯"), ("沧州市", "130900", "沧"),
          ("北京市朝阳区", "110105", "京朝"), ("天津市滨海新区", "120116", "津滨"))
DEPARTMENTS = (("市场监督管理局", "市监罚"), ("生态环境局", "环罚"), ("应急管理局", "应急罚"), ("税务局", "税罚"))
TRADES = "华鑫盛达宏泰恒丰瑞祥金源信德隆昌永兴安康福云帆海通天和嘉"
FORMS = ("商贸有限公司", "科技有限公司", "建筑工程有限公司", "食品有限公司", "物流有限公司", "机械制造有限公司",
         "餐饮管理有限公司", "化工有限公司")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国华明丽军伟芳强敏静磊洋艳勇杰娟涛超霞平刚"
#: (违法行为类型, 违法事实 sentences, 处罚依据)
CASES = (
    ("销售不合格产品", ("当事人销售的电热水壶经抽检不合格", "涉案产品货值金额较小",
                 "当事人能够如实陈述违法事实并积极配合调查",
                 "经查当事人自某年某月起从外地购进该批次产品并在其经营场所对外销售"),
     "《中华人民共和国产品质量法》第四十九条"),
    ("未按规定公示年度报告", ("当事人未按照规定的期限公示年度报告", "经责令限期履行后仍未履行",
                    "执法人员现场检查时发现当事人通过登记的住所无法联系"),
     "《企业信息公示暂行条例》第十八条"),
    ("超标排放大气污染物", ("当事人锅炉排放口颗粒物浓度超过排放标准", "经监测二氧化硫排放浓度超标二点三倍",
                   "当事人未按规定对污染防治设施进行维护致使设施不能正常运行", "现场检查时生产设备正在运行"),
     "《中华人民共和国大气污染防治法》第九十九条"),
    ("未按规定进行安全生产教育培训", ("当事人未对从业人员进行安全生产教育和培训", "特种作业人员未取得相应资格上岗作业",
                        "现场检查发现安全生产台账记录不全"), "《中华人民共和国安全生产法》第九十七条"),
    ("虚开发票", ("当事人在没有真实交易的情况下为他人开具增值税普通发票", "涉及发票金额合计人民币若干万元",
              "当事人取得的进项发票与实际经营不符"), "《中华人民共和国发票管理办法》第三十七条"),
    ("发布虚假广告", ("当事人在其网站及微信公众号发布的广告中含有虚假或者引人误解的内容",
                "广告中使用国家级最高级等用语", "当事人无法提供广告中所宣称效果的证明材料"),
     "《中华人民共和国广告法》第五十五条"),
)
PENALTIES = (("警告", "警告"), ("罚款", "罚款人民币{amount}万元"), ("警告；罚款", "警告，并处罚款人民币{amount}万元"),
             ("没收违法所得、没收非法财物；罚款", "没收违法所得{amount2}万元，并处罚款人民币{amount}万元"),
             ("责令停产停业", "责令停产停业整顿{days}日"))
FILLER = ("上述事实有现场检查笔录、询问笔录、抽样检验报告、当事人营业执照复印件及相关票据等证据证实。"
          "当事人的行为违反了相关法律法规的规定，依法应予处罚。鉴于当事人在案件调查过程中积极配合，"
          "主动消除或者减轻违法行为危害后果，依法从轻处罚。当事人在法定期限内未提出陈述申辩意见。")


def subject_code(index: int) -> str:
    """Subject ``index``'s unified social credit code: the same index, the same code, in every file."""
    return uscc.generate(random.Random(index), "9", None, CITIES[index % len(CITIES)][1])


def person_number(index: int) -> str:
    """Natural person ``index``'s resident identity number (valid: region, birth date, check character)."""
    rng = random.Random(-1 - index)
    born = datetime.date(1986, 1, 1) + datetime.timedelta(days=rng.randrange(7_000))
    body = f"{PERSON_REGIONS[index % len(PERSON_REGIONS)]}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_char(body)


def _sentence(rng: random.Random, parts: tuple[str, ...], lo: int, hi: int) -> str:
    """Text of realistic length: log-uniform between ``lo`` and ``hi`` characters, made of the case's
    sentences and then the usual boilerplate."""
    target = int(lo * (hi / lo) ** rng.random())
    text = "，".join(rng.sample(parts, rng.randint(1, len(parts))))
    if len(text) < target:
        start = rng.randrange(len(FILLER) // 2)
        text = f"{text}。{(FILLER * 3)[start:start + target - len(text)]}"
    return text[:target] + "。"


def rows(first: int, count: int, provider: tuple[str, str, str], department: tuple[str, str],
         seed: int) -> Iterator[list[str]]:
    """``count`` penalty rows numbered from ``first`` (the numbers make the decision numbers unique)."""
    rng = random.Random(seed * 1_000_003 + first)
    city, region, prefix = provider
    office, short = department
    authority = city + office
    authority_code = uscc.generate(random.Random(f"{city}{office}"), "1", "1", region)
    today = datetime.date(2026, 11, 30)
    for n in range(first, first + count):
        person = rng.random() < PERSON_SHARE
        # a skewed draw: low indexes come up often (subjects with dozens of records), most rarely
        index = int(SUBJECTS * rng.random() ** 2.5)
        if person:
            pindex = index // 20
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            category, code, rep, id_type, id_number = "自然人", "", "", "身份证", person_number(pindex)
        else:
            name = f"{city}{rng.choice(TRADES)}{rng.choice(TRADES)}{index % 997}{rng.choice(FORMS)}"
            category, code, rep = "法人及非法人组织", subject_code(index), rng.choice(SURNAMES) + rng.choice(GIVEN) * 2
            id_type = id_number = ""
        kind, facts, basis = rng.choice(CASES)
        penalty, content = rng.choice(PENALTIES)
        amount = rng.choice(("0.5", "1", "2", "3", "5", "10", "20", "0.2", "50"))
        content = content.format(amount=amount, amount2=rng.choice(("0.3", "1.2", "4")), days=rng.choice((7, 15, 30)))
        if rng.random() < 0.3:
            content += "；" + _sentence(rng, ("责令当事人立即改正违法行为", "责令限期整改"), 10, 150)
        decided = today - datetime.timedelta(days=rng.randrange(3 * 365))
        severity = rng.choices(("轻微", "一般", "严重"), weights=(30, 60, 10))[0]
        yield [name, category, code, rep, id_type, id_number, f"{prefix}{short}〔{decided.year}〕{n}号", kind,
               _sentence(rng, facts, 12, 300), basis, penalty, content,
               amount if "罚款" in penalty else "", decided.isoformat(),
               (decided + datetime.timedelta(days=365 * rng.choice((1, 1, 3)))).isoformat(), "",
               authority, authority_code, authority, authority_code, severity, "" if rng.random() < 0.9 else "无"]


def _write_one(job: tuple[Path, int, int, tuple[str, str, str], tuple[str, str], int]) -> None:
    path, first, count, city, department, seed = job
    if path.exists():
        return
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows(first, count, city, department, seed))
    partial.rename(path)


def write_files(directory: Path, total: int, per_file: int, start: int, seed: int,
                processes: int = 2) -> list[tuple[Path, str, int]]:
    """Write the files (each streamed, a row at a time; ``processes`` files at once): [(path, provider, rows)]."""
    from multiprocessing import Pool

    jobs, out = [], []
    for first in range(start, start + total, per_file):
        count = min(per_file, start + total - first)
        city = CITIES[(first // per_file) % len(CITIES)]
        department = DEPARTMENTS[(first // per_file // len(CITIES)) % len(DEPARTMENTS)]
        path = directory / f"penalties-{first:09d}.csv"
        jobs.append((path, first, count, city, department, seed))
        out.append((path, city[0] + department[0], count))
    with Pool(processes) as pool:
        for _ in pool.imap_unordered(_write_one, jobs):
            pass
    for k, (path, _provider, count) in enumerate(out):
        print(f"  file {k + 1}: {path.name} {count:,} rows, {path.stat().st_size / 1e6:,.0f} MB", flush=True)
    return out


def _one_value(conn: Any, sql: str) -> Any:
    """The one value a query answers (a count, a size)."""
    row = conn.execute(sql).fetchone()
    if row is None:
        raise SystemExit(f"no answer to {sql}")
    return row[0]


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database(url: str) -> None:
    import psycopg

    base, name = psycopg_url(url).rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    base, name = psycopg_url(url).rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


#: The server's settings that decide the database's share of the figures (printed with them).
SETTINGS = ("shared_buffers", "max_wal_size", "checkpoint_timeout", "wal_compression", "synchronous_commit",
            "full_page_writes", "maintenance_work_mem")


def server_settings(url: str) -> str:
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        return ", ".join(f"{name} {conn.execute(f'SHOW {name}').fetchall()[0][0]}" for name in SETTINGS)


def prepare(url: str) -> None:
    """Upgrade the database and publish the 2026 catalogue edition, with the project's own commands."""
    cli = [sys.executable, "-m", "jjjcredit"]
    steps = [["db", "upgrade"], ["catalogue", "draft", YEAR, "--by", "办"],
             ["catalogue", "open-comments", YEAR, "--by", "办"],
             ["catalogue", "assess", YEAR, "JJJ-04-001", "--experts", "专家", "--representatives", "代表",
              "--conclusion", "保留", "--by", "办"],
             ["catalogue", "approve", YEAR, "--by", "政府"], ["catalogue", "publish", YEAR, "--by", "办"]]
    for step in steps:
        done = subprocess.run([*cli, *step, "--db", url], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{shlex.join(step)} failed: {done.stderr.strip()[-1500:]}")


def bare_copy(url: str, files: list[tuple[Path, str, int]], streams: int = 1) -> float:
    """Seconds to COPY every file into a plain unindexed table of the same columns as text, ``streams``
    files at a time (each on its own connection), as the ingest runs its loaders."""
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare")
        conn.execute(f"CREATE TABLE bench_bare ({columns})")

    def one(path: Path) -> None:
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn, conn.transaction(), conn.cursor() as cur, \
                cur.copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)

    start = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        list(pool.map(one, [path for path, _provider, _count in files]))
    seconds = time.perf_counter() - start
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        size = _one_value(conn, "SELECT pg_total_relation_size('bench_bare')")
        conn.execute("DROP TABLE bench_bare")
    print(f"  (the COPY table held {size / 1e6:,.0f} MB)")
    return seconds


def floor(url: str, batch: str) -> tuple[int, float, float]:
    """What the database alone costs: the rows one batch wrote to ``credit_records``, exported, deleted
    and ``COPY``-ed back (the same table, partitions, indexes and size; the rows as the platform made
    them) in binary, as the ingest writes them. Returns (rows, seconds of the COPY back, seconds of a bare
    COPY of the same rows exported as text into an unindexed table of text columns), the two in one run, one
    after the other. Leaves the table as it was (then vacuumed)."""
    import psycopg

    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        path, binary = Path(tmp) / "rows.copy", Path(tmp) / "rows.binary"
        for to, options in ((path, ""), (binary, " WITH (FORMAT binary)")):
            with to.open("wb") as out, conn.cursor().copy(
                    f"COPY (SELECT * FROM credit_records WHERE batch_id = %s) TO STDOUT{options}", (batch,)) as copy:
                for block in copy:
                    out.write(block)
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'credit_records' "
            "ORDER BY ordinal_position")]
        conn.execute("DROP TABLE IF EXISTS bench_floor_bare")
        conn.execute(f"CREATE TABLE bench_floor_bare ({', '.join(f'{c} text' for c in columns)})")

        def copy_in(table: str, source: Path = path, options: str = "") -> float:
            started = time.perf_counter()
            with conn.transaction(), conn.cursor().copy(f"COPY {table} FROM STDIN{options}") as copy, \
                    source.open("rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
            return time.perf_counter() - started

        bare = copy_in("bench_floor_bare")
        rows = _one_value(conn, "SELECT count(*) FROM bench_floor_bare")
        conn.execute("DROP TABLE bench_floor_bare")
        with conn.transaction():
            conn.execute("DELETE FROM credit_records WHERE batch_id = %s", (batch,))
        conn.execute("VACUUM credit_records")
        back = copy_in("credit_records", binary, " WITH (FORMAT binary)")
        conn.execute("VACUUM ANALYZE credit_records")
    return rows, back, bare


def rss_kib(pid: int) -> int:
    """The memory of a process and of the processes it started (a large file is checked in a forked process of
    its own): the sum of their proportional sets (KiB, /proc/PID/smaps_rollup Pss — a page the fork shares is
    counted once between them, where their resident sets would count it twice); 0 once it is gone."""
    total = 0
    for one in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{one}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    """Every process ``pid`` started, and theirs."""
    found: list[int] = []
    try:
        kids = [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return found
    for kid in kids:
        found += [kid, *_children(kid)]
    return found


def ingest(url: str, files: list[tuple[Path, str, int]],
           loaders: int = 1) -> tuple[float, list[tuple[float, int]], list[dict[str, Any]]]:
    """Ingest every file with ``jjjcredit credit ingest`` (a subprocess each, ``loaders`` at a time —
    each file is another provider's): seconds (from the first start to the last end), memory samples
    (seconds since the first started, KiB of one ingest with its checking process: :func:`rss_kib`), and each
    file's summary with its own wall time and peak."""
    samples: list[tuple[float, int]] = []
    summaries: list[dict[str, Any]] = []
    origin = time.perf_counter()

    def one(job: tuple[Path, str, int]) -> None:
        path, provider, count = job
        command = [sys.executable, "-m", "jjjcredit", "credit", "ingest", str(path), "--item", ITEM,
                   "--provider", provider, "--db", url]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = [0]

        def sample(process: subprocess.Popen[str] = process, peak: list[int] = peak) -> None:
            while process.poll() is None:
                kib = rss_kib(process.pid)
                peak[0] = max(peak[0], kib)
                samples.append((time.perf_counter() - origin, kib))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, err = process.communicate()
        wall = time.perf_counter() - started
        sampler.join()
        if process.returncode not in (0, 1):
            sys.exit(f"{shlex.join(command)} failed (exit {process.returncode}): {err.strip()[-2000:]}")
        summary = json.loads(out)
        summary["wall"], summary["peak_kib"] = wall, peak[0]
        summaries.append(summary)
        print(f"  ingest {path.name}: {count:,} rows in {wall:,.1f} s ({count / wall:,.0f} rows/s; batch "
              f"{summary['seconds']:,.1f} s), created {summary['created']:,}, rejected {summary['rejected']:,}, "
              f"peak memory {peak[0] / 1024:,.0f} MiB", flush=True)
        if summary["rejected"]:
            print(f"    rejected by code: {summary['by_code']}")

    with ThreadPoolExecutor(loaders) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - origin, samples, summaries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--file-rows", type=int, default=2_000_000, help="rows a file (a file = one batch)")
    parser.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL (created anew) or sqlite:///path")
    parser.add_argument("--data-dir", help="where the CSV files go (kept; files already there are reused)")
    parser.add_argument("--keep", action="store_true", help="leave the database (for credit_records_read.py)")
    parser.add_argument("--append", action="store_true", help="ingest more rows into a kept database")
    parser.add_argument("--start", type=int, default=0, help="the number of the first row (with --append)")
    parser.add_argument("--no-copy", action="store_true", help="skip the COPY peer")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--floor", action="store_true",
                        help="after the ingest, the database's own share: the last batch's rows COPY-ed back into "
                             "credit_records beside a bare COPY of the same text (PostgreSQL)")
    parser.add_argument("--loaders", type=int, default=1,
                        help="ingest processes at a time (each file is one provider's; the COPY peer runs as many "
                             "streams)")
    args = parser.parse_args()
    if not os.environ.get("JJJCREDIT_SIGNING_KEY_SECRET"):
        sys.exit("set JJJCREDIT_SIGNING_KEY_SECRET (natural persons' numbers are sealed under it)")
    header(f"credit records ingest: {args.rows:,} penalty rows")
    postgres = args.db.startswith("postgresql")
    with tempfile.TemporaryDirectory() as tmp_name:
        directory = Path(args.data_dir or tmp_name)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = write_files(directory, args.rows, args.file_rows, args.start, args.seed)
        size = sum(p.stat().st_size for p, _n, _c in files)
        print(f"data: {len(files)} CSV files, {size / 1e9:,.2f} GB, {size / args.rows:,.0f} bytes a row "
              f"({time.perf_counter() - started:,.0f} s to write or find them)", flush=True)
        if not args.append:
            if postgres:
                create_database(args.db)
            prepare(args.db)
        if postgres:
            print(f"server: {server_settings(args.db)}", flush=True)
        copy_seconds = bare_copy(args.db, files, args.loaders) if postgres and not args.no_copy else None
        if copy_seconds:
            print(f"bare COPY: {copy_seconds:,.1f} s ({args.rows / copy_seconds:,.0f} rows/s)", flush=True)
        seconds, samples, summaries = ingest(args.db, files, args.loaders)
        rate = args.rows / seconds
        print(f"\n{'PostgreSQL' if postgres else 'SQLite'}: {args.rows:,} rows, {len(files)} files of "
              f"≤ {args.file_rows:,} rows, {size / args.rows:,.0f} bytes a row, {args.loaders} loader(s) and as many "
              "COPY streams")
        if copy_seconds:
            print(f"  bare COPY (unindexed, text)    {copy_seconds:9,.1f} s  ({args.rows / copy_seconds:,.0f} rows/s)")
        print(f"  jjjcredit credit ingest        {seconds:9,.1f} s  ({rate:,.0f} rows/s)"
              + (f"  = {copy_seconds / seconds:.0%} of COPY (target ≥ 40%)" if copy_seconds else ""))
        batch = sum(float(s["seconds"]) for s in summaries)
        print(f"    the batches themselves took {batch:,.1f} s together ({args.rows / batch:,.0f} rows/s a loader); "
              "the rest is start-up and file hashing")
        if samples:
            cut = samples[-1][0] * 0.1
            early = max((kib for t, kib in samples if t <= cut), default=0)
            print(f"  peak memory of the ingest (its processes' PSS): {early / 1024:,.0f} MiB over the first 10% of "
                  "the rows, "
                  f"{max(k for _t, k in samples) / 1024:,.0f} MiB over 100%; per file "
                  f"{', '.join(format(s['peak_kib'] / 1024, ',.0f') for s in summaries)} MiB")
        if postgres and args.floor and summaries:
            rows, back, bare = floor(args.db, str(summaries[-1]["batch"]))
            print(f"  the database's own share ({rows:,} rows of the last batch, as the platform wrote them, deleted "
                  f"and COPY-ed back into credit_records):\n"
                  f"    binary COPY into credit_records (indexed)     {back:9,.1f} s ({rows / back:,.0f} rows/s)\n"
                  f"    COPY of the same text into an unindexed table   {bare:9,.1f} s ({rows / bare:,.0f} rows/s)"
                  f"  → the table itself runs at {bare / back:.0%} of a bare COPY; the ingest at "
                  f"{rate / (rows / back):.0%} of the table's own COPY rate")
            if copy_seconds:  # the ceiling any ingest into this table has, against the target's own peer
                ceiling = (rows / back) / (args.rows / copy_seconds)
                print(f"    one stream of the table takes stored rows at {ceiling:.0%} of the CSV's bare COPY above "
                      f"({args.loaders} stream(s)): no ingest into it reaches more than about as many streams of that")
        if postgres and not args.keep:
            drop_database(args.db)
            print("  (database dropped)")


if __name__ == "__main__":
    main()
