"""``jjjcredit federation``: relay, follow, state and status through subprocesses, two nodes on two databases
and one broker (names of the test's own); a follower killed mid-run and started again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from jjjcredit.services.federation import broker as nats_broker
from jjjcredit.services.federation import relay
from jjjcredit.storage.schema import exchange_packages, federation_applied
from tests.cli.test_evidence import run_with
from tests.services.federation.nodes import Node, department_files

# the fixtures of the federation tests (three nodes, the broker's names of the test's own)
from tests.services.federation.nodes import broker as broker
from tests.services.federation.nodes import nodes as nodes


def test_relay_follow_state_status(nodes: dict[str, Node], broker: nats_broker.Broker, tmp_path: Path):
    work = department_files(tmp_path / "demo", count=20, seed=9)
    for item in work["hebei"]:
        item.ingest(nodes["hebei"])
    common = {"JJJCREDIT_NATS_URL": broker.url, "JJJCREDIT_FEDERATION_PREFIX": broker.prefix}
    hebei = {**common, "JJJCREDIT_NODE": "hebei", "JJJCREDIT_SIGNING_KEY_SECRET": "hebei-secret"}
    beijing = {**common, "JJJCREDIT_NODE": "beijing"}
    sent = run_with(hebei, "federation", "relay", "--once", "--db", nodes["hebei"].url)
    assert sent.returncode == 0, sent.stderr
    assert '"message_id": "hebei:organizations:0-' in sent.stdout and '"hebei:credit_records:0-' in sent.stdout
    again = run_with(hebei, "federation", "relay", "--once", "--db", nodes["hebei"].url)
    assert (again.returncode, again.stdout) == (0, "")  # nothing new
    behind = run_with(beijing, "federation", "status", "--refresh", "--db", nodes["beijing"].url)
    assert behind.returncode == 0, behind.stderr
    peers = {p["peer"]: p for p in json.loads(behind.stdout)["peers"]}
    assert (peers["hebei"]["stream_seq"], peers["hebei"]["peer_stream_seq"], peers["hebei"]["behind"]) == (0, 2, 2)
    followed = run_with(beijing, "federation", "follow", "--once", "--peer", "hebei", "--db", nodes["beijing"].url)
    assert followed.returncode == 0, followed.stderr
    assert followed.stdout.count('"status": "accepted"') == 2
    # Beijing holds Hebei's organizations and records: its state is Hebei's (Beijing has none of its own)
    states = [json.loads(run_with(env, "federation", "state", "--db", nodes[n].url).stdout)
              for env, n in ((hebei, "hebei"), (beijing, "beijing"))]
    assert states[0] == states[1] and states[0]["organizations"] > 0, states
    shown = run_with(beijing, "federation", "status", "--db", nodes["beijing"].url)
    assert shown.returncode == 0, shown.stderr
    peers = {p["peer"]: p for p in json.loads(shown.stdout)["peers"]}
    assert (peers["hebei"]["stream_seq"], peers["hebei"]["behind"]) == (2, 0), peers
    unreachable = run_with({**hebei, "JJJCREDIT_NATS_URL": "nats://127.0.0.1:1"}, "federation", "relay", "--once",
                           "--db", nodes["hebei"].url)
    assert unreachable.returncode == 1 and "federation.broker" in unreachable.stderr, unreachable.stderr


def test_a_follower_killed_mid_run_catches_up_without_loss_or_duplicates(nodes: dict[str, Node],
                                                                          broker: nats_broker.Broker, tmp_path: Path):
    work = department_files(tmp_path / "demo", count=40, seed=13)
    sent = []
    for item in work["hebei"]:  # one relay after each file: several messages in Hebei's stream
        item.ingest(nodes["hebei"])
        sent += relay.relay_once(nodes["hebei"].engine, broker, node="hebei", box=nodes["hebei"].box)
    assert len(sent) >= 4, sent
    env = {"JJJCREDIT_NATS_URL": broker.url, "JJJCREDIT_FEDERATION_PREFIX": broker.prefix, "JJJCREDIT_NODE": "beijing",
           "JJJCREDIT_FEDERATION_ACK_SECONDS": "3", "PYTHONWARNINGS": "error"}
    follower = subprocess.Popen([sys.executable, "-m", "jjjcredit", "federation", "follow", "--interval", "0.2",
                                 "--peer", "hebei", "--db", nodes["beijing"].url], env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _taken(nodes["beijing"]) < 1:  # the first message applied: kill it (SIGKILL, no clean-up)
            assert follower.poll() is None, follower.stderr.read() if follower.stderr else b""
            assert time.monotonic() < deadline, "the follower applied nothing within 60 s"
            time.sleep(0.05)
    finally:
        follower.kill()
        follower.wait(timeout=30)
        if follower.stderr:
            follower.stderr.close()
    # started again: the message it held unacknowledged comes back after the broker's ack wait (3 s here)
    again = run_with(env, "federation", "follow", "--once", "--peer", "hebei", "--db", nodes["beijing"].url)
    assert again.returncode == 0, (again.stderr, again.stdout)
    assert _taken(nodes["beijing"]) == max(p.stream_seq for p in sent)
    with nodes["beijing"].engine.connect() as conn:  # every range applied once
        applied = conn.execute(select(exchange_packages.c.kind, exchange_packages.c.to_seq)
                               .where(exchange_packages.c.origin == "hebei")).all()
    assert sorted(applied) == sorted((p.kind, p.to) for p in sent), (applied, sent)
    assert nodes["beijing"].state() == nodes["hebei"].state()


def _taken(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(federation_applied.c.stream_seq), 0))).scalar_one())


def test_the_relay_loop_outlives_a_broker_outage(nodes: dict[str, Node], tmp_path: Path):
    log = tmp_path / "relay.log"
    env = {**os.environ, "JJJCREDIT_NATS_URL": "nats://127.0.0.1:1", "JJJCREDIT_NODE": "hebei",
           "JJJCREDIT_SIGNING_KEY_SECRET": "hebei-secret", "PYTHONWARNINGS": "error"}
    with log.open("wb") as out:
        relaying = subprocess.Popen([sys.executable, "-m", "jjjcredit", "federation", "relay", "--interval", "0.1",
                                     "--db", nodes["hebei"].url], env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 60
            while log.read_text("utf-8").count("Trying again") < 2:
                assert relaying.poll() is None, log.read_text("utf-8")
                assert time.monotonic() < deadline, f"no second try within 60 s: {log.read_text('utf-8')}"
                time.sleep(0.05)
        finally:
            relaying.kill()
            relaying.wait(timeout=30)
    assert "cannot be reached" in log.read_text("utf-8")
