"""Three federation nodes for tests — Beijing, Tianjin, Hebei — each with its own database (SQLite, or
PostgreSQL with Hebei on SQLite when a PostgreSQL URL is given: both kinds in one federation), its evidence
keys, the catalogue published, the others as peers; broker names unique to the test, removed after it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import Engine, select

from jjjcredit.core.credit import persons
from jjjcredit.core.federation import messages
from jjjcredit.services import db
from jjjcredit.services.credit import corrections, records
from jjjcredit.services.credit import demo_data as credit_demo
from jjjcredit.services.exchange import exchange
from jjjcredit.services.federation import broker as nats_broker
from jjjcredit.services.federation import follow, relay, state
from jjjcredit.services.library import demo_data, library
from jjjcredit.services.sharing import evidence
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import credit_records
from tests.services.credit import credit_files

NODES = ("beijing", "tianjin", "hebei")
NATS_URL = os.environ.get("JJJCREDIT_NATS_URL", "nats://127.0.0.1:4222")
TODAY = datetime.date.today()


@dataclass
class Node:
    name: str
    url: str
    engine: Engine
    box: evidence.KeyBox
    protector: persons.Protector

    def restart(self) -> None:
        """A node stopped and started again: every connection dropped, a new engine on the same database."""
        self.engine.dispose()
        self.engine = make_engine(self.url)

    def state(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return state.state_of(conn)


@contextlib.contextmanager
def unique_broker() -> Iterator[nats_broker.Broker]:
    """Stream and subject names of the test's own (``jt<hex>``), deleted afterwards."""
    found = nats_broker.Broker(NATS_URL, prefix=f"jt{uuid.uuid4().hex[:10]}", timeout=5.0)
    try:
        yield found
    finally:
        asyncio.run(_remove(found))


@pytest.fixture
def broker() -> Iterator[nats_broker.Broker]:
    with unique_broker() as found:
        yield found


async def _remove(broker: nats_broker.Broker) -> None:
    client = await nats.connect(broker.url)
    js = client.jetstream()
    for node in NODES:
        name = messages.stream_name(broker.prefix, node)
        for stream in (name, f"OBJ_{name}{messages.OBJECTS_SUFFIX}"):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(stream)
    await client.close()


@pytest.fixture
def nodes(new_database_url: Callable[[], str], tmp_path: Path) -> Iterator[dict[str, Node]]:
    with three_nodes(new_database_url, tmp_path) as made:
        yield made


@contextlib.contextmanager
def three_nodes(new_database_url: Callable[[], str], tmp_path: Path) -> Iterator[dict[str, Node]]:
    """The three nodes, each knowing the others as peers; their engines disposed afterwards."""
    made: dict[str, Node] = {}
    mixed = bool(os.environ.get("JJJCREDIT_TEST_DATABASE_URL"))
    for i, name in enumerate(NODES):
        url = f"sqlite:///{tmp_path / (name + '.sqlite3')}" if mixed and name == "hebei" else new_database_url()
        engine = make_engine(url)
        db.upgrade(engine)
        with engine.begin() as conn:
            credit_files.publish(conn, TODAY.year)
        made[name] = Node(name, url, engine, evidence.KeyBox(f"{name}-secret"), persons.Protector(bytes([i]) * 32))
    keys = {}
    for node in made.values():
        with node.engine.begin() as conn:
            keys[node.name] = exchange.own_keys(conn, node.name, node.box)
    for node in made.values():
        with node.engine.begin() as conn:
            for peer in NODES:
                if peer != node.name:
                    exchange.add_peer(conn, peer, keys[peer], own=node.name, operator="test")
    try:
        yield made
    finally:
        for node in made.values():
            node.engine.dispose()


@dataclass(frozen=True)
class Work:
    """One department file for one node: organizations (a library source) or credit records (item, provider)."""

    node: str
    path: Path
    source: str | None = None
    item: str | None = None
    provider: str | None = None

    def ingest(self, node: Node) -> None:
        if self.source:
            library.ingest_file(node.engine, str(self.path), self.source)
        else:
            assert self.item and self.provider
            records.ingest_file(node.engine, str(self.path), self.item, self.provider, protector=node.protector,
                                today=TODAY)


def department_files(out: Path, count: int = 60, seed: int = 7) -> dict[str, list[Work]]:
    """The demo's department files, each for the node of its region, in the order a region sends them
    (a department's full file before its changes; organizations before credit records)."""
    manifest = demo_data.write_demo_data(out, count, seed=seed, mistake_rate=0.0)
    credit_demo.write_credit_data(out, manifest, mistake_rate=0.0, today=TODAY)
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    work: dict[str, list[Work]] = {n: [] for n in NODES}
    for entry in listed["files"]:
        if entry["rows"]:
            region = entry["source"].split("/")[0]
            work[region].append(Work(region, out / entry["file"], source=entry["source"]))
    for entry in listed["credit"]["files"]:
        region = Path(entry["file"]).name.split("-")[0]
        work[region].append(Work(region, out / entry["file"], item=entry["item"], provider=entry["provider"]))
    return work


def correct_and_revoke(node: Node) -> None:
    """A correction of one of the node's credit records and the revocation of another."""
    with node.engine.begin() as conn:
        found = conn.execute(select(credit_records.c.item, credit_records.c.provider, credit_records.c.document_number)
                             .where(credit_records.c.subject_type != "natural_person", credit_records.c.version == 1,
                                    credit_records.c.item == credit_files.PENALTY)
                             .order_by(credit_records.c.id).limit(2)).all()
        assert len(found) == 2, f"node {node.name} holds fewer than 2 penalties of organizations"
        (item, provider, first), (_item, _provider, second) = found
        corrections.correct_record(conn, item, provider, first, {"处罚内容": "罚款二万元（更正）"}, "更正", TODAY,
                                   protector=node.protector, today=TODAY)
        corrections.revoke_record(conn, item, provider, second, "决定撤销", TODAY, today=TODAY)


def relay_all(nodes: dict[str, Node], broker: nats_broker.Broker, names: tuple[str, ...] = NODES) -> None:
    for name in names:
        relay.relay_once(nodes[name].engine, broker, node=name, box=nodes[name].box, operator="test")


def follow_all(nodes: dict[str, Node], broker: nats_broker.Broker, names: tuple[str, ...] = NODES) -> list[Any]:
    out = []
    for name in names:
        out += follow.follow_once(nodes[name].engine, broker, node=name, wait=0.2, operator="test")
    return out


def settle(nodes: dict[str, Node], broker: nats_broker.Broker, rounds: int = 4) -> None:
    """Relay and follow on every node until a round applies nothing (at most ``rounds``; else it fails)."""
    for _ in range(rounds):
        relay_all(nodes, broker)
        followed = follow_all(nodes, broker)
        if not any(o.status == "accepted" for f in followed for o in f.outcomes):
            return
    raise AssertionError(f"the nodes still applied messages after {rounds} rounds of relay and follow")
