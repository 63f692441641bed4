"""Benchmark ``jjjcredit records check`` end to end on a generated standard-layout CSV.

Generates (seeded) a CSV of N rows — 1,000,000 by default — in the standard layout, with the mix a
real delivery has: dates written several ways, status words and codes, about 0.5% of rows with a
problem (a mistyped code, a date that does not exist, an unknown status word, an amount that is
not a number). Then runs the real command as a subprocess pinned to one CPU and reports rows per
second (wall clock, file read to report written) and the child's peak resident memory.

    .venv/bin/python benchmarks/records_check.py [--rows 1000000] [--seed 2024] [--keep DIR]

Targets: at least 150,000 rows/s on one core, peak memory under 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jjjcredit.core.codes import uscc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

HEADER = ["统一社会信用代码", "机构名称", "注册地址", "注册资金", "法定代表人或负责人姓名", "成立日期", "状态",
          "经营范围"]
REGIONS = ("110105", "110108", "120101", "120116", "130102", "130104", "130602", "131002", "133100")
PLACES = ("北京市朝阳区", "北京市海淀区", "天津市和平区", "天津市滨海新区", "河北省石家庄市长安区", "河北省保定市",
          "河北省廊坊市", "河北雄安新区")
WORDS = ("科技", "商贸", "建筑工程", "信息技术", "食品", "物流", "文化传媒", "农业开发", "医疗器械", "环保")
FORMS = ("有限公司", "有限责任公司", "股份有限公司", "合作社", "经营部")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
SCOPES = ("技术开发、技术咨询、技术服务", "销售日用品、五金交电", "建筑工程施工", "餐饮服务", "道路货物运输",
          "农产品种植、销售", "软件开发；信息系统集成服务")
STATUS = ("存续", "存续", "存续", "在营", "开业", "1", "注销", "吊销", "迁出")


def machine() -> str:
    return f"{describe()} (the check is pinned to one core)"


def generate(path: Path, rows: int, seed: int) -> int:
    """Write the file; return how many rows were written with a deliberate problem."""
    rng = random.Random(seed)
    seen: set[str] = set()
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            code = uscc.generate(rng, "9", "1", rng.choice(REGIONS))
            while code in seen:
                code = uscc.generate(rng, "9", "1", rng.choice(REGIONS))
            seen.add(code)
            y, m, d = rng.randint(1990, 2024), rng.randint(1, 12), rng.randint(1, 28)
            date = rng.choice((f"{y}{m:02d}{d:02d}", f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}年{m}月{d}日"))
            capital = rng.choice((str(rng.randint(1, 5000)), f"{rng.randint(1, 5000)}.5", f"{rng.randint(1, 500)}万元"))
            status = rng.choice(STATUS)
            place = rng.choice(PLACES)
            name = f"{place[:3]}{rng.choice(WORDS)}{i}{rng.choice(FORMS)}"
            if rng.random() < 0.005:
                bad += 1
                kind = rng.randrange(4)
                if kind == 0:
                    code = code[:17] + ("0" if code[17] != "0" else "1")
                elif kind == 1:
                    date = f"{y}-02-30"
                elif kind == 2:
                    status = "活动中"
                else:
                    capital = "五百万"
            writer.writerow([code, name, f"{place}某某路{rng.randint(1, 999)}号", capital,
                             rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋"), date, status,
                             rng.choice(SCOPES)])
    return bad


def _one_cpu() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", type=Path, help="write the generated file and report here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        data, report = folder / "records.csv", folder / "report.json"
        started = time.perf_counter()
        bad = generate(data, args.rows, args.seed)
        generated = time.perf_counter() - started
        command = [sys.executable, "-m", "jjjcredit", "records", "check", str(data), "--report", str(report)]
        print(f"# records check: {args.rows:,} rows, standard layout, UTF-8 CSV ({data.stat().st_size / 1e6:.0f} MB, "
              f"{bad:,} rows with a deliberate problem; generated in {generated:.1f} s)")
        print(f"benchmark: {shlex.join([Path(sys.executable).name, *sys.argv])}")
        print(f"command:   {shlex.join(command)}")
        print(f"machine:   {machine()}")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, preexec_fn=_one_cpu)
        elapsed = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        print(f"exit:      {result.returncode} (1 = some rows rejected, as generated)")
        print("summary:   " + result.stderr.strip().replace("\n", "\n           "))
        rate = args.rows / elapsed
        print(f"time:      {elapsed:.2f} s end to end (interpreter start, read, check, report written)")
        print(f"rate:      {rate:,.0f} rows/s (target ≥ 150,000)")
        print(f"cpu:       {cpu:.2f} s user+system, {args.rows / cpu:,.0f} rows per CPU-second "
              f"(load average {load:.2f} when it started: other work on the machine slows the wall clock)")
        print(f"memory:    {peak_mb:,.0f} MB peak resident (target < 500)")
        ok = result.returncode in (0, 1) and rate >= 150_000 and peak_mb < 500
        print(f"verdict:   {'meets both targets' if ok else 'MISSES a target'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
