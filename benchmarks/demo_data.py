"""Benchmark ``jjjcredit demo-data``: synthetic department files at the real scale.

Runs the real command as a subprocess (by default on one CPU, ``taskset -c 0`` where available)
and reports wall-clock seconds, rows per second and the child's peak resident memory. The JJJ
scale is about 17 million organizations (``--count 17000000``); memory must not grow with it.

    .venv/bin/python benchmarks/demo_data.py [--count 1000000] [--seed 0] [--jobs 1] [--mistakes 0.01] [--keep DIR]

Target: 1,000,000 rows well under 60 s on one core; bounded memory at any count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import header


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--mistakes", type=float, default=0.01)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    header("jjjcredit demo-data")
    out = args.keep or Path(tempfile.mkdtemp(prefix="jjjcredit-demo-"))
    command = [sys.executable, "-m", "jjjcredit", "demo-data", "--count", str(args.count), "--out", str(out),
               "--seed", str(args.seed), "--jobs", str(args.jobs), "--mistakes", str(args.mistakes)]
    pinned = args.jobs == 1 and shutil.which("taskset") is not None
    if pinned:
        command = ["taskset", "-c", "0", *command]
    print(f"run: {' '.join(command)}")
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return result.returncode
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    size = sum(p.stat().st_size for p in out.iterdir())
    rows = manifest["rows"]
    print(f"organizations: {manifest['organizations']:,}; rows written: {rows:,} in {len(manifest['files'])} files, "
          f"{size / 1e9:.2f} GB")
    print(f"processes: {args.jobs}{' (pinned to CPU 0)' if pinned else ''}; cpu seconds (children): "
          f"{child.ru_utime + child.ru_stime:.1f}")
    print(f"seconds: {seconds:.1f}; rows/s: {rows / seconds:,.0f}; peak RSS (largest child): "
          f"{child.ru_maxrss / 1024:.0f} MiB")
    print(f"mistakes: {manifest['mistakes']}")
    if args.keep is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
