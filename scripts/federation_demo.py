"""``make federation-demo``: three nodes — Beijing, Tianjin, Hebei — on one machine, each with its own
SQLite database and server, sharing their changes through NATS JetStream (``JJJCREDIT_NATS_URL``, default
``nats://127.0.0.1:4222``; ``nats-server -js`` starts one).

1. write synthetic department files and credit record files for the three regions (``jjjcredit demo-data``);
2. make each node's database, publish this year's catalogue there, make its signing key, and let each node
   know the others' keys (``jjjcredit exchange keys``, ``exchange peers add``);
3. ingest each region's files into its own node only (``library ingest``, ``credit ingest``);
4. start, per node, its server (``jjjcredit serve``), its relay (``federation relay``) and its follower
   (``federation follow``), and wait until the three state hashes agree (``federation state``);
5. print the addresses, the state and the lag per peer (``federation status``), and run until Ctrl-C.

Everything lands in ``var/federation/``; running it again starts afresh (streams of a previous run included:
the names carry this run's prefix, ``JJJCREDIT_FEDERATION_PREFIX``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "federation"
CLI = [str(Path(sys.executable).parent / "jjjcredit")]
NODES = {"beijing": 8101, "tianjin": 8102, "hebei": 8103}
WAIT_SECONDS = 300


def say(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)


def env_of(node: str) -> dict[str, str]:
    return {**os.environ, "JJJCREDIT_NODE": node, "JJJCREDIT_DATABASE_URL": f"sqlite:///{VAR / (node + '.sqlite3')}",
            "JJJCREDIT_SIGNING_KEY_FILE": str(VAR / "operator-secret")}


def run(node: str, *args: str, quiet: bool = True) -> str:
    print(f"$ JJJCREDIT_NODE={node} jjjcredit {' '.join(args)}", file=sys.stderr, flush=True)
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, cwd=ROOT, env=env_of(node))
    if result.returncode == 2 or (result.returncode and args[0] not in ("library", "credit")):
        sys.exit(f"error: `jjjcredit {' '.join(args)}` failed:\n{result.stderr}")
    if not quiet:
        sys.stdout.write(result.stdout)
    return result.stdout


def main() -> None:
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    secret = VAR / "operator-secret"
    secret.touch(mode=0o600)
    secret.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
    os.environ.setdefault("JJJCREDIT_FEDERATION_PREFIX", f"demo{secrets.token_hex(4)}")
    year = str(time.gmtime().tm_year)

    say("1. Department files and credit record files for the three regions (all made up)")
    demo = VAR / "demo"
    run("hebei", "demo-data", "--count", "300", "--out", str(demo), "--seed", "3041", "--credit")
    manifest = json.loads((demo / "manifest.json").read_text(encoding="utf-8"))

    say("2. Three databases, the catalogue published in each, the nodes knowing each other's keys")
    for node in NODES:
        run(node, "db", "upgrade")
        office = "社会信用体系建设牵头部门"
        for step in (("draft", year, "--by", office), ("open-comments", year, "--by", office),
                     ("assess", year, "JJJ-04-001", "--experts", "专家论证：保留", "--representatives",
                      "企业代表：同意", "--conclusion", "保留", "--by", office),
                     ("approve", year, "--by", "人民政府"), ("publish", year, "--by", office)):
            run(node, "catalogue", *step)
        (VAR / f"{node}-keys.json").write_text(run(node, "exchange", "keys"), encoding="utf-8")
    for node in NODES:
        for peer in NODES:
            if peer != node:
                run(node, "exchange", "peers", "add", peer, "--keys", str(VAR / f"{peer}-keys.json"))

    say("3. Each region's files into its own node only")
    for entry in manifest["files"]:
        if entry["rows"]:
            node = entry["source"].split("/")[0]
            run(node, "library", "ingest", str(demo / entry["file"]), "--source", entry["source"])
    for entry in manifest.get("credit", {}).get("files", []):
        node = Path(entry["file"]).name.split("-")[0]
        run(node, "credit", "ingest", str(demo / entry["file"]), "--item", entry["item"], "--provider",
            entry["provider"])
    for node in NODES:
        print(f"{node}: {run(node, 'federation', 'state').strip()}", file=sys.stderr)

    say("4. Per node: its server, its relay, its follower — until the three states agree")
    started: list[subprocess.Popen[bytes]] = []
    logs = VAR / "logs"
    logs.mkdir()
    for node, port in NODES.items():
        for name, args in (("serve", ["serve", "--port", str(port)]),
                           ("relay", ["federation", "relay", "--interval", "1"]),
                           ("follow", ["federation", "follow", "--interval", "1"])):
            print(f"$ JJJCREDIT_NODE={node} jjjcredit {' '.join(args)} &", file=sys.stderr, flush=True)
            out = (logs / f"{node}-{name}.log").open("wb")
            started.append(subprocess.Popen([*CLI, *args], cwd=ROOT, env=env_of(node), stdout=out, stderr=out))
    try:
        states = _agree(started)
        say("5. The three nodes hold one state")
        for node, port in NODES.items():
            print(f"  {node}: http://127.0.0.1:{port}/docs   state {states[node]}", file=sys.stderr)
        print(run("hebei", "federation", "status"), file=sys.stderr)
        print(f"""  Ingest into one node, e.g.
      JJJCREDIT_NODE=beijing JJJCREDIT_DATABASE_URL=sqlite:///{VAR / 'beijing.sqlite3'} \\
      JJJCREDIT_SIGNING_KEY_FILE={secret} .venv/bin/jjjcredit library ingest FILE --source beijing/market-regulation
  and the others follow within seconds (`federation state` and `federation status` at each node; logs in
  {logs}). Stop with Ctrl-C.""", file=sys.stderr, flush=True)
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def _agree(started: list[subprocess.Popen[bytes]]) -> dict[str, str]:
    """The nodes' state hashes once they agree; the demo stops when one process ends or the wait runs out."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        ended = [p for p in started if p.poll() is not None]
        if ended:
            sys.exit(f"error: {' '.join(map(str, ended[0].args))} stopped (exit {ended[0].returncode}); see the "
                     f"logs in {VAR / 'logs'}")
        states = {node: json.loads(run(node, "federation", "state"))["state"] for node in NODES}
        if len(set(states.values())) == 1:
            return states
        time.sleep(2)
    sys.exit(f"error: the three nodes' states did not agree within {WAIT_SECONDS} s; see the logs in {VAR / 'logs'}")


if __name__ == "__main__":
    main()
