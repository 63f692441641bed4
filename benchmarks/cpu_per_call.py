"""Server CPU time per call, for comparing two versions of the code on a loaded machine.

Throughput on a shared machine moves with whatever else runs; the CPU time the server process itself
spends per call moves much less. This starts ``jjjcredit serve`` (the code on ``PYTHONPATH`` or the
installed package) on a SQLite library, creates a client key, sends ``--calls`` public lookups and
``--calls`` keyed verify calls one at a time over one keep-alive connection (after a warm-up of 200
each), and prints the server's user+system CPU milliseconds per call, read from /proc.

    PYTHONPATH=src .venv/bin/python benchmarks/cpu_per_call.py --db-file var/api-load-1m.sqlite3

Run it once per version against copies of the same library (a newer version upgrades the file).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from machine import header

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-file", type=Path, required=True, help="a SQLite library (upgraded in place)")
    parser.add_argument("--calls", type=int, default=3000, help="calls measured per route")
    args = parser.parse_args()
    url = f"sqlite:///{args.db_file}"
    env = {**os.environ, "JJJCREDIT_PUBLIC_RATE_PER_MINUTE": "1000000000",
           "JJJCREDIT_CLIENT_RATE_PER_MINUTE": "1000000000",
           "JJJCREDIT_SIGNING_KEY_SECRET": os.environ.get("JJJCREDIT_SIGNING_KEY_SECRET", "benchmark-operator-secret")}
    cli = [sys.executable, "-m", "jjjcredit"]
    header("server CPU per call: lookup and verify")
    print(f"load average at the start {os.getloadavg()[0]:.2f}")
    subprocess.run([*cli, "db", "upgrade", "--db", url], env=env, check=True, capture_output=True)
    added = subprocess.run([*cli, "clients", "add", f"cpu-{random.randrange(1 << 30):x}", "--services",
                            "verify,lookup", "--level", "2", "--db", url], env=env, check=True,
                           capture_output=True, text=True)
    key = json.loads(added.stdout)["api_key"]
    with sqlite3.connect(args.db_file) as conn:
        sample = conn.execute("SELECT uscc, name FROM organizations ORDER BY random() LIMIT ?",
                              (args.calls + 200,)).fetchall()
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", url],
                                  env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            with httpx.Client(base_url=base, timeout=30) as http:
                def lookup(code: str, _name: str) -> None:
                    assert http.get(f"/api/v1/organizations/{code}").status_code == 200

                def verify(code: str, name: str) -> None:
                    answer = http.post("/api/v1/verify", json={"code": code, "name": name},
                                       headers={"X-API-Key": key, "X-Purpose": "cpu benchmark"})
                    assert answer.status_code == 200, answer.text

                for label, call in (("lookup", lookup), ("verify", verify)):
                    for code, name in sample[:200]:
                        call(code, name)
                    before, started = cpu_seconds(server.pid), time.perf_counter()
                    for code, name in sample[200:]:
                        call(code, name)
                    spent, wall = cpu_seconds(server.pid) - before, time.perf_counter() - started
                    print(f"{label:8} {spent / args.calls * 1000:6.3f} ms server CPU per call "
                          f"({args.calls:,} calls, {wall:.1f} s wall)")
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
