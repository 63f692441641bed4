"""Code validation against python-stdnum, in the same run.

Three figures (issue "Foundation, and complete validation ..."):

1. single-code ``uscc.is_valid`` vs ``stdnum.cn.uscc.is_valid`` (ours checks strictly more:
   department, category, region history, embedded organization code);
2. ``uscc.is_valid_many`` on N codes vs a Python loop over stdnum;
3. ``jjjcredit codes check`` on an N-line file vs a plain Python script that reads the same file
   with stdnum and writes the same CSV columns.

Run: ``.venv/bin/python benchmarks/codes.py [--count 1000000]``
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header
from stdnum.cn import uscc as stdnum_uscc

from jjjcredit.core.codes import uscc

PEER_SCRIPT = r'''
import csv, sys
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["input", "code", "verdict", "error", "position", "message", "suggestions"])
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        value = line.strip()
        if not value:
            continue
        code = uscc.compact(value)
        try:
            uscc.validate(value)
            out.writerow([value, code, "valid", "", "", "", ""])
        except ValidationError as exc:
            out.writerow([value, code, "invalid", type(exc).__name__, "", str(exc), ""])
'''


def make_codes(count: int, seed: int = 1) -> list[str]:
    """Valid codes across the three regions, with 1% single-character typos."""
    rng = random.Random(seed)
    regions = ("110105", "110108", "120101", "120116", "130102", "130104", "131082")
    codes = []
    for _ in range(count):
        code = uscc.generate(rng, regions=regions)
        if rng.random() < 0.01:
            i = rng.randrange(18)
            code = code[:i] + rng.choice(uscc.ALPHABET) + code[i + 1:]
        codes.append(code)
    return codes


T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=200_000, help="codes for the single-code figure")
    args = parser.parse_args()
    header("codes: jjjcredit vs python-stdnum")
    codes = make_codes(args.count)
    sample = codes[: args.single]

    ours_single, ours_ok = timed(lambda: [uscc.is_valid(c) for c in sample])
    peer_single, peer_ok = timed(lambda: [stdnum_uscc.is_valid(c) for c in sample])
    print(f"\n1. single-code is_valid over {len(sample):,} codes")
    print(f"   jjjcredit uscc.is_valid        {ours_single / len(sample) * 1e6:8.2f} µs/code")
    print(f"   stdnum.cn.uscc.is_valid        {peer_single / len(sample) * 1e6:8.2f} µs/code")
    print(f"   ratio (stdnum time / ours)     {peer_single / ours_single:8.2f}x  (target ≥ 1)")
    disagree = sum(1 for a, b in zip(ours_ok, peer_ok, strict=True) if a != b)
    print(f"   verdicts that differ: {disagree} (ours also rejects bad departments, categories and "
          "embedded organization codes)")

    uscc.verdict_many(codes[:1000])  # load the tables once, as a long-running process would
    ours_bulk, _ = timed(uscc.is_valid_many, codes)
    peer_bulk, _ = timed(lambda: [stdnum_uscc.is_valid(c) for c in codes])
    print(f"\n2. bulk over {len(codes):,} codes")
    print(f"   jjjcredit uscc.is_valid_many   {ours_bulk:8.3f} s   ({len(codes) / ours_bulk:,.0f} codes/s)")
    print(f"   loop over stdnum is_valid      {peer_bulk:8.3f} s   ({len(codes) / peer_bulk:,.0f} codes/s)")
    print(f"   ratio                          {peer_bulk / ours_bulk:8.1f}x  (target ≥ 30)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codes.txt"
        path.write_text("\n".join(codes) + "\n", encoding="utf-8")
        peer = Path(tmp) / "peer.py"
        peer.write_text(PEER_SCRIPT, encoding="utf-8")
        cli = [sys.executable, "-m", "jjjcredit", "codes", "check", str(path)]
        ours_cli = run(cli, Path(tmp) / "ours.csv")
        peer_cli = run([sys.executable, str(peer), str(path)], Path(tmp) / "peer.csv")
        rows = sum(1 for _ in (Path(tmp) / "ours.csv").open(encoding="utf-8")) - 1
        print(f"\n3. CSV report for a {len(codes):,}-line file (wall clock, including start-up)")
        print(f"   jjjcredit codes check          {ours_cli:8.3f} s   ({rows:,} rows written)")
        print(f"   plain Python + stdnum script   {peer_cli:8.3f} s")
        print(f"   ratio                          {peer_cli / ours_cli:8.1f}x  (target ≥ 10)")


def run(command: list[str], out: Path) -> float:
    start = time.perf_counter()
    with out.open("w", encoding="utf-8") as fh:
        subprocess.run(command, stdout=fh, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
