"""``GET /api/v1/federation/changes`` and ``federation pull``: the change feed over HTTPS for a peer without
the broker — three nodes, each with its server; a node's key granted ``federation`` at its peer; what one
pulled and what it then follows over the broker agree (services/federation/pull.py)."""

from __future__ import annotations

import contextlib
import datetime
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from jjjcredit.core.federation import messages
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.credit import records
from jjjcredit.services.federation import changes, follow, pull, relay
from jjjcredit.services.sharing import clients, personal_keys
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.services.credit import credit_files as files
from tests.services.federation.nodes import NODES, Node, department_files, three_nodes, unique_broker
from tests.web.conftest import serving


@pytest.fixture
def federation(new_database_url: Callable[[], str], tmp_path: Path) -> Iterator[dict[str, Node]]:
    with three_nodes(new_database_url, tmp_path) as made:
        work = department_files(tmp_path / "demo", count=40, seed=11)
        for name in NODES:
            for item in work[name]:
                item.ingest(made[name])
        yield made


def _server(node: Node) -> contextlib.AbstractContextManager[str]:
    settings = Settings(database_url=node.url, node=node.name, signing_key_secret=f"{node.name}-secret")
    return serving(create_app(settings))


def test_a_node_pulls_its_peers_changes_over_https_with_its_key(federation: dict[str, Node]):
    keys = {}
    for name, node in federation.items():
        with node.engine.begin() as conn:  # each node's key at every other node, granted federation
            keys[name] = {peer: clients.add_client(conn, f"node-{peer}", "federation", 2)[1]
                          for peer in NODES if peer != name}
    with contextlib.ExitStack() as running:  # three servers, one per node
        urls = {n: running.enter_context(_server(federation[n])) for n in NODES}
        for name in NODES:
            for peer in NODES:
                if peer == name:
                    continue
                outcomes = pull.pull(federation[name].engine, urls[peer], keys[peer][name], node=name, peer=peer,
                                     operator="test")
                assert [o.status for o in outcomes] == ["accepted", "accepted"], [o.to_dict() for o in outcomes]
        states = {n: federation[n].state() for n in NODES}
        assert len({s["state"] for s in states.values()}) == 1, states
        for _ in range(2):  # Hebei's sequences moved on as it applied the others' changes: none of its own
            again = pull.pull(federation["beijing"].engine, urls["hebei"], keys["hebei"]["beijing"],
                              node="beijing", peer="hebei")
            assert all(o.counts.get("created", 0) + o.counts.get("updated", 0) == 0 for o in again), again
        assert [o.status for o in again] == ["skipped", "skipped"]
        # the package answered is the one a message carries: signed by the node, checked with its keys
        with httpx.Client(base_url=urls["hebei"], timeout=30) as http:
            answer = http.get("/api/v1/federation/changes", params={"kind": "credit_records", "after": 0},
                              headers={"X-API-Key": keys["hebei"]["tianjin"], "X-Purpose": "test"})
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(messages.MEDIA_TYPE)
            manifest, _data = messages.unpack(answer.content)
            assert manifest["node"] == "hebei" and manifest["audience"] == "government"
            assert http.get("/api/v1/federation/changes").status_code == 401  # the public: no
            past = http.get("/api/v1/federation/changes", params={"after": 10**9},
                            headers={"X-API-Key": keys["hebei"]["tianjin"], "X-Purpose": "test"})
            assert (past.status_code, past.json()["errors"][0]["code"]) == (400, "federation.after")
        # signed as another node than asked: refused
        wrong = pull.pull(federation["beijing"].engine, urls["hebei"], keys["hebei"]["beijing"], node="beijing",
                          peer="tianjin")
        assert {o.reason.code for o in wrong if o.reason} == {"federation.wrong_node"}
        with pytest.raises(pull.FederationError) as refused:
            pull.pull(federation["beijing"].engine, urls["hebei"], "wrong-key", node="beijing", peer="hebei")
        assert refused.value.code == "federation.pull" and "401" in refused.value.message
    # the broker then carries what was pulled already: nothing changes, and the states stay one
    with unique_broker() as broker:
        for name in NODES:
            sent = relay.relay_once(federation[name].engine, broker, node=name, box=federation[name].box)
            assert [p.kind for p in sent] == ["organizations", "credit_records"], sent
        for name in NODES:
            followed = follow.follow_once(federation[name].engine, broker, node=name, wait=0.2)
            taken = [o for f in followed for o in f.outcomes]
            assert taken and all(o.status in ("accepted", "skipped") and not o.counts.get("created")
                                 and not o.counts.get("updated") for o in taken), [o.to_dict() for o in taken]
    assert len({federation[n].state()["state"] for n in NODES}) == 1
    assert datetime.date.today()  # the demo's dates are relative to today


def test_a_long_range_is_pulled_a_piece_at_a_time(federation: dict[str, Node]):
    with federation["tianjin"].engine.begin() as conn:
        key = clients.add_client(conn, "node-hebei", "federation", 2)[1]
    settings = Settings(database_url=federation["tianjin"].url, node="tianjin", signing_key_secret="tianjin-secret",
                        limits=Limits(federation_message_changes=3))
    with serving(create_app(settings)) as url:
        outcomes = pull.pull(federation["hebei"].engine, url, key, node="hebei", peer="tianjin", operator="test")
        with httpx.Client(base_url=url, timeout=30) as http:
            answer = http.get("/api/v1/federation/changes", params={"kind": "organizations", "after": 0},
                              headers={"X-API-Key": key, "X-Purpose": "test"})
    end = int(answer.headers[pull.SEQUENCE_END])
    manifest, _data = messages.unpack(answer.content)
    assert manifest["sequence"] == {"after": 0, "to": 3} and end > 3
    for kind in ("organizations", "credit_records"):
        ranges = [(o.after, o.to) for o in outcomes if o.kind == kind]
        assert len(ranges) > 1 and all(o.status == "accepted" for o in outcomes), [o.to_dict() for o in outcomes]
        assert ranges[0][0] == 0 and all(a[1] == b[0] for a, b in itertools.pairwise(ranges)), ranges
    assert ranges and max(to for _after, to in ranges) > 3
    with federation["tianjin"].engine.connect() as conn:
        assert [to for _after, to in ranges][-1] == changes.position(conn, "credit_records")


def test_a_key_below_government_sharing_or_limited_to_items_pulls_nothing(database_url: str, tmp_path: Path):
    """A package carries what government sharing reads (level 2, every item: natural persons' records
    included): a key granted ``federation`` at level 1, or for some items only, is refused — it is not given
    records above its level or outside its items."""
    engine = make_engine(database_url)
    db.upgrade(engine)
    keys = {}
    with engine.begin() as conn:
        files.publish(conn, 2026)
        for name, level, items in (("node-low", 1, None), ("node-items", 2, files.LICENCE), ("node-peer", 2, None)):
            keys[name] = clients.add_client(conn, name, "federation", level, items=items)[1]
    settings = Settings(database_url=database_url, node="hebei", signing_key_secret="hebei-secret")
    app = create_app(settings)
    with engine.begin() as conn:
        protector = personal_keys.protector(conn, app.state.key_box)
    rows = [files.penalty(None, "罚1"), files.penalty(files.codes(1)[0], "罚2")]
    records.ingest_file(engine, str(files.write_csv(tmp_path / "p.csv", rows)), files.PENALTY, files.PROVIDER,
                        protector=protector)
    engine.dispose()
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        def pulled(key: str) -> httpx.Response:
            return http.get("/api/v1/federation/changes", params={"kind": "credit_records", "after": 0},
                            headers={"X-API-Key": keys[key], "X-Purpose": "test"})

        peer = pulled("node-peer")
        assert peer.status_code == 200 and "自然人" in peer.content.decode(), peer.text
        for key in ("node-low", "node-items"):
            refused = pulled(key)
            assert refused.status_code == 403, (key, refused.status_code, refused.content[:300])
            error = refused.json()["errors"][0]
            assert error["code"] == "access.forbidden" and "李明" not in refused.text, error
            assert "level 2" in error["message"] and "--items" in error["message"], error["message"]
