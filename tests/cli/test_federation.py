"""``jjjcredit federation``: relay, follow, state and status through subprocesses, two nodes on two databases
and one broker (names of the test's own)."""

from __future__ import annotations

import json
from pathlib import Path

from jjjcredit.services.federation import broker as nats_broker
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
