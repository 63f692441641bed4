"""Three nodes — Beijing, Tianjin, Hebei — with their own databases and one broker (NATS JetStream): each
ingests its region's department files and publishes its own changes through the relay; each follows the
others. After random interleavings, a node stopped and started again, a relay stopped between the commit
and the publish, a duplicate delivery and a tampered message, the three state hashes are one and nothing is
lost (services/federation/)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import itertools
import random
import time
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy import func, select

from jjjcredit.core.credit import records as rules
from jjjcredit.core.federation import messages
from jjjcredit.core.federation.messages import FederationError
from jjjcredit.services.credit import records
from jjjcredit.services.federation import broker as nats_broker
from jjjcredit.services.federation import changes, follow, relay
from jjjcredit.services.library import search
from jjjcredit.services.sharing import audit
from jjjcredit.storage.schema import audit as audit_table
from jjjcredit.storage.schema import exchange_packages, federation_published, organizations
from tests.services.federation.nodes import (
    NODES,
    Node,
    correct_and_revoke,
    department_files,
    follow_all,
    relay_all,
    settle,
)


async def _publish_raw(b: nats_broker.Broker, node: str, kind: str, payload: bytes, msg_id: str,
                       headers: dict[str, str] | None = None) -> tuple[int, bool]:
    client = await nats.connect(b.url)
    try:
        await nats_broker.ensure_stream(client.jetstream(), b, node)
        ack = await client.jetstream().publish(messages.subject(b.prefix, node, kind), payload,
                                               stream=messages.stream_name(b.prefix, node),
                                               headers={**(headers or {}), "Nats-Msg-Id": msg_id})
        return int(ack.seq), bool(ack.duplicate)
    finally:
        await client.close()


async def _last_message(b: nats_broker.Broker, node: str) -> tuple[bytes, dict[str, str]]:
    """The payload and headers (but its id) of the last message in ``node``'s stream."""
    client = await nats.connect(b.url)
    try:
        js = client.jetstream()
        info = await js.stream_info(messages.stream_name(b.prefix, node))
        msg = await js.get_msg(messages.stream_name(b.prefix, node), info.state.last_seq)
        return bytes(msg.data or b""), {k: v for k, v in (msg.headers or {}).items() if k != "Nats-Msg-Id"}
    finally:
        await client.close()


def _trail(node: Node) -> list[Any]:
    with node.engine.connect() as conn:
        assert audit.verify_trail(conn) == []
        return conn.execute(select(audit_table.c.path, audit_table.c.outcome, audit_table.c.purpose)
                            .where(audit_table.c.service == "federation").order_by(audit_table.c.seq)).all()


def test_three_nodes_hold_one_state_after_interleavings_a_restart_a_stopped_relay_duplicates_and_tampering(
        nodes: dict[str, Node], broker: nats_broker.Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    work = department_files(tmp_path / "demo")
    assert all(work[n] for n in NODES), {n: len(w) for n, w in work.items()}
    rng = random.Random(3041)
    queues = {n: list(w) for n, w in work.items()}
    stopped = "tianjin"
    steps = 0
    while any(queues.values()):  # each node's files in its own order, the nodes' steps interleaved at random
        name = rng.choice([n for n in NODES if queues[n]])
        queues[name].pop(0).ingest(nodes[name])
        steps += 1
        running = tuple(n for n in NODES if n != stopped or steps < 4)
        if rng.random() < 0.5:
            relay_all(nodes, broker, (rng.choice(running),))
        if rng.random() < 0.4:
            follow_all(nodes, broker, (rng.choice(running),))
    # Tianjin stopped after its third step (its own files went in, nothing was relayed or followed): restarted
    nodes[stopped].restart()

    # Beijing's relay stops between the commit and the publish: the position stays, the range is pending
    correct_and_revoke(nodes["beijing"])
    real = nats_broker.publish

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise FederationError("federation.broker", "The broker at test cannot be reached.")

    monkeypatch.setattr(nats_broker, "publish", unreachable)
    with nodes["beijing"].engine.connect() as conn:
        before = conn.execute(select(federation_published.c.kind, federation_published.c.to_seq)).all()
    with pytest.raises(FederationError):
        relay.relay_once(nodes["beijing"].engine, broker, node="beijing", box=nodes["beijing"].box,
                         kinds=("credit_records",))
    with nodes["beijing"].engine.connect() as conn:
        after = conn.execute(select(federation_published.c.kind, federation_published.c.to_seq,
                                    federation_published.c.pending_to)).all()
    assert [(k, t) for k, t, _p in after] == before and any(p for _k, _t, p in after), after
    monkeypatch.setattr(nats_broker, "publish", real)

    # Hebei's relay publishes, then stops before recording the acknowledgement: published again, same id
    correct_and_revoke(nodes["hebei"])

    def stopped_relay(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the relay was stopped")

    monkeypatch.setattr(relay, "advance", stopped_relay)
    with pytest.raises(OSError):
        relay.relay_once(nodes["hebei"].engine, broker, node="hebei", box=nodes["hebei"].box,
                         kinds=("credit_records",))
    monkeypatch.undo()
    again = relay.relay_once(nodes["hebei"].engine, broker, node="hebei", box=nodes["hebei"].box,
                             kinds=("credit_records",))
    assert [p.duplicate for p in again] == [True], again  # the broker held it: stored once

    settle(nodes, broker)

    # a duplicate delivery: Hebei's last message again under another id — the followers skip it
    last, headers = asyncio.run(_last_message(broker, "hebei"))
    assert headers.get(messages.ENCODING_HEADER) == messages.ENCODING  # the data travels compressed
    asyncio.run(_publish_raw(broker, "hebei", "credit_records", last, "test:duplicate", headers))
    # a tampered message: the same package with one byte of its data file changed — refused, nothing applied
    manifest, data = messages.unpack(last)
    changed = bytearray(messages.decompress(data, manifest["files"][0]["bytes"]))
    changed[len(changed) // 2] = ord("X") if changed[len(changed) // 2] != ord("X") else ord("Y")
    tampered = messages.pack(manifest, messages.compress(bytes(changed)))
    asyncio.run(_publish_raw(broker, "hebei", "credit_records", tampered, "test:tampered", headers))
    states = {n: nodes[n].state() for n in NODES}
    followed = follow_all(nodes, broker, ("beijing", "tianjin"))
    outcomes = [o for f in followed if f.peer == "hebei" for o in f.outcomes]
    assert [o.status for o in outcomes] == ["skipped", "refused"] * 2, [o.to_dict() for o in outcomes]
    assert {o.reason.code for o in outcomes if o.reason} == {"exchange.tampered"}
    assert {n: nodes[n].state() for n in NODES} == states

    settle(nodes, broker)
    hashes = {n: nodes[n].state() for n in NODES}
    assert len({h["state"] for h in hashes.values()}) == 1, hashes
    with nodes["hebei"].engine.connect() as conn:
        regions = dict(conn.execute(select(func.substr(organizations.c.uscc, 3, 2), func.count())
                                    .group_by(func.substr(organizations.c.uscc, 3, 2))).all())
    assert set(regions) >= {"11", "12", "13"}, regions  # every region's organizations, at every node
    assert hashes["hebei"]["credit_versions"] > hashes["hebei"]["credit_records"]  # corrections and revocations
    for name in NODES:  # every exchange in the audit trail: sent, accepted, skipped, refused, why
        trail = _trail(nodes[name])
        assert any(t.path.startswith("federation relay") for t in trail), name
        assert any(t.outcome == "ok" and t.path.startswith("federation apply") for t in trail), name
    refusals = [t for t in _trail(nodes["beijing"]) if t.outcome == "exchange.tampered"]
    assert len(refusals) == 1 and "from hebei: credit_records" in refusals[0].purpose, refusals


def _hebei_organizations(nodes: dict[str, Node], tmp_path: Path, last_only: bool) -> tuple[dict[str, Any], bytes]:
    """Two of Hebei's department files ingested, and its package of their organizations (``last_only``: of the
    last change alone, a range that starts after what a follower applied)."""
    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["hebei"][:2]:
        item.ingest(nodes["hebei"])
    with nodes["hebei"].engine.begin() as conn:
        to = changes.position(conn, "organizations")
        return changes.own_changes(conn, nodes["hebei"].box, node="hebei", kind="organizations",
                                   after=to - 1 if last_only else 0, to=to)


def test_a_gap_is_refused_and_the_message_left_for_later(nodes: dict[str, Node], broker: nats_broker.Broker,
                                                         tmp_path: Path):
    manifest, data = _hebei_organizations(nodes, tmp_path, last_only=True)
    asyncio.run(_publish_raw(broker, "hebei", "organizations", messages.pack(manifest, data), "test:gap"))
    [followed] = follow.follow_once(nodes["beijing"].engine, broker, node="beijing", peers=["hebei"], wait=0.2)
    assert [o.reason.code for o in followed.outcomes if o.reason] == ["federation.gap"]
    assert followed.stopped and "A gap" in followed.stopped
    with nodes["beijing"].engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == 0
    assert any(t.outcome == "federation.gap" for t in _trail(nodes["beijing"]))


def test_data_that_does_not_decompress_to_its_manifest_s_size_is_refused(nodes: dict[str, Node],
                                                                        broker: nats_broker.Broker, tmp_path: Path):
    manifest, data = _hebei_organizations(nodes, tmp_path, last_only=False)
    encoded = {messages.ENCODING_HEADER: messages.ENCODING}
    for msg_id, payload in (("test:junk", b"not zstd at all"), ("test:short", messages.compress(data[:-10]))):
        asyncio.run(_publish_raw(broker, "hebei", "organizations", messages.pack(manifest, payload), msg_id, encoded))
    [followed] = follow.follow_once(nodes["beijing"].engine, broker, node="beijing", peers=["hebei"], wait=0.2)
    assert [o.status for o in followed.outcomes] == ["refused", "refused"], followed.to_dict()
    assert {o.reason.code for o in followed.outcomes if o.reason} == {"exchange.truncated"}, followed.to_dict()
    with nodes["beijing"].engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == 0


def test_a_message_whose_signature_fails_is_refused_before_its_data_is_decompressed(
        nodes: dict[str, Node], broker: nats_broker.Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    manifest, data = _hebei_organizations(nodes, tmp_path, last_only=False)
    # a forged manifest: its data file said to be the largest a message may hold, the data a bomb of zeros
    forged = {**manifest, "files": [{**manifest["files"][0], "bytes": broker.data_bytes}]}
    bomb = messages.compress(bytes(64 << 20))
    encoded = {messages.ENCODING_HEADER: messages.ENCODING}
    asyncio.run(_publish_raw(broker, "hebei", "organizations", messages.pack(forged, bomb), "test:bomb", encoded))
    asyncio.run(_publish_raw(broker, "hebei", "organizations",
                             messages.pack(manifest, messages.compress(data)), "test:good", encoded))
    sizes: list[int] = []
    real = messages.decompress
    monkeypatch.setattr(messages, "decompress", lambda data, size: sizes.append(size) or real(data, size))
    [followed] = follow.follow_once(nodes["beijing"].engine, broker, node="beijing", peers=["hebei"], wait=0.2)
    assert [o.status for o in followed.outcomes] == ["refused", "accepted"], followed.to_dict()
    assert followed.outcomes[0].reason is not None and followed.outcomes[0].reason.code == "exchange.signature"
    assert sizes == [len(data)]  # the good one's data alone was decompressed


def test_the_lag_per_peer_is_in_the_status_and_on_metrics(nodes: dict[str, Node], broker: nats_broker.Broker,
                                                           tmp_path: Path):
    from prometheus_client import CollectorRegistry, generate_latest

    from jjjcredit.services.federation import status
    from jjjcredit.web import metrics

    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["hebei"][:2]:
        item.ingest(nodes["hebei"])
    sent = relay.relay_once(nodes["hebei"].engine, broker, node="hebei", box=nodes["hebei"].box)
    assert [p.kind for p in sent] == ["organizations"], sent
    follow.follow_once(nodes["beijing"].engine, broker, node="beijing", peers=["hebei"], limit=0)  # looks only
    with nodes["beijing"].engine.connect() as conn:
        [hebei] = [p for p in status.federation_status(conn, "beijing")["peers"] if p["peer"] == "hebei"]
    assert (hebei["stream_seq"], hebei["peer_stream_seq"], hebei["behind"]) == (0, 1, 1), hebei
    assert hebei["seconds_behind"] >= 0 and hebei["applied_to"] == {"organizations": None, "credit_records": None}
    registry = CollectorRegistry()
    registry.register(metrics.Federation(nodes["beijing"].engine))
    assert 'jjjcredit_federation_behind_messages{peer="hebei"} 1.0' in generate_latest(registry).decode()
    follow.follow_once(nodes["beijing"].engine, broker, node="beijing", peers=["hebei"], wait=0.2)
    with nodes["beijing"].engine.connect() as conn:
        [hebei] = [p for p in status.federation_status(conn, "beijing")["peers"] if p["peer"] == "hebei"]
        published = status.federation_status(conn, "beijing")["published"]
    assert (hebei["stream_seq"], hebei["behind"], hebei["seconds_behind"]) == (1, 0, 0.0), hebei
    assert hebei["applied_to"]["organizations"] == sent[0].to and published == {}
    assert 'jjjcredit_federation_behind_messages{peer="hebei"} 0.0' in generate_latest(registry).decode()


def test_a_peer_never_overwrites_what_this_node_owns(nodes: dict[str, Node], tmp_path: Path):
    from jjjcredit.core.exchange import rows
    from jjjcredit.core.exchange.packages import Scope
    from jjjcredit.services.exchange import exchange, feed
    from jjjcredit.services.sharing import disclosure

    work = department_files(tmp_path / "demo", count=30, seed=5)
    work["beijing"][0].ingest(nodes["beijing"])
    caller = exchange.audience_caller("government", "beijing")
    with nodes["beijing"].engine.connect() as conn:
        own = feed.organization_rows(conn, caller, Scope(), 0, changes.position(conn, "organizations"))
    forged = [{**own[0], "name": "冒名机构"}]  # Hebei's copy of a Beijing organization, signed by Hebei
    columns = rows.columns_of("organizations", disclosure.view_of(caller).elements)
    with nodes["hebei"].engine.begin() as conn:
        manifest, contents = exchange.sign_package(
            conn, nodes["hebei"].box, node="hebei", kind="organizations", audience="government", fmt="jsonl",
            scope=Scope(region="hebei"), after=0, to=1, found=forged, columns=columns, day=disclosure.current_day(),
            now=changes._now())
    before = nodes["beijing"].state()
    outcome = changes.apply_package(nodes["beijing"].engine, manifest, contents["organizations.jsonl"],
                                    node="beijing", expected="hebei", operator="test")
    assert outcome.status == "accepted" and outcome.counts["kept_own"] == 1, outcome.to_dict()
    assert nodes["beijing"].state() == before  # Beijing's own organization as Beijing holds it
    outcome = changes.apply_package(nodes["tianjin"].engine, manifest, contents["organizations.jsonl"],
                                    node="tianjin", expected="beijing", operator="test")
    assert outcome.reason is not None and outcome.reason.code == "federation.wrong_node"
    with nodes["hebei"].engine.begin() as conn:  # a package signed by a peer, but for the public
        public, contents = exchange.sign_package(
            conn, nodes["hebei"].box, node="hebei", kind="organizations", audience="public", fmt="jsonl",
            scope=Scope(region="hebei"), after=0, to=1, found=[], columns=("uscc",), day=disclosure.current_day(),
            now=changes._now())
    outcome = changes.apply_package(nodes["tianjin"].engine, public, contents["organizations.jsonl"],
                                    node="tianjin", expected="hebei", operator="test")
    assert outcome.reason is not None and outcome.reason.code == "federation.audience", outcome.to_dict()


def test_a_large_package_travels_through_the_object_store(nodes: dict[str, Node], broker: nats_broker.Broker,
                                                          tmp_path: Path):
    small = nats_broker.Broker(broker.url, broker.prefix, object_bytes=64, timeout=broker.timeout)
    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["tianjin"]:
        item.ingest(nodes["tianjin"])
    sent = relay.relay_once(nodes["tianjin"].engine, small, node="tianjin", box=nodes["tianjin"].box)
    assert [p.kind for p in sent] == ["organizations", "credit_records"] and all(p.rows for p in sent), sent
    [followed] = follow.follow_once(nodes["hebei"].engine, small, node="hebei", peers=["tianjin"], wait=0.2)
    assert [o.status for o in followed.outcomes] == ["accepted", "accepted"], followed.to_dict()
    with nodes["hebei"].engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == sent[0].rows

    async def first_message(admitted: Any, most: int = 1 << 30) -> nats_broker.Delivered:
        """Beijing's next message from Tianjin (every one through the object store; none acknowledged, so they
        come again), its object fetched or not."""
        capped = dataclasses.replace(small, data_bytes=most, ack_wait=1)
        async with nats_broker.connected(capped) as js:
            sub = await nats_broker.subscription(js, capped, "beijing", "tianjin")
            for _ in range(20):
                found = await nats_broker.fetch(js, capped, sub, 0.5, admitted)
                if found:
                    return found[0]
        raise AssertionError("no message")

    signed = changes.signed_by_peer(nodes["beijing"].engine, "beijing")
    good = asyncio.run(first_message(signed))
    assert good.manifest is not None and len(good.data) > 0  # a peer's package: its object fetched
    forged = asyncio.run(first_message(lambda manifest: None))  # (the next one, or the first again)
    assert forged.manifest is not None and forged.data == b""  # not admitted: the object never read
    assert asyncio.run(first_message(signed, most=8)).data == b""  # an object over the limit: not read
    assert signed({**good.manifest, "node": "hebei"}) is None and signed("not a manifest") is None


def test_a_backlog_goes_as_several_messages_of_contiguous_ranges(nodes: dict[str, Node], broker: nats_broker.Broker,
                                                                 tmp_path: Path):
    capped = dataclasses.replace(broker, message_changes=3, compress=False)  # (as a peer on an older release)
    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["tianjin"]:
        item.ingest(nodes["tianjin"])
    sent = relay.relay_once(nodes["tianjin"].engine, capped, node="tianjin", box=nodes["tianjin"].box)
    for kind in ("organizations", "credit_records"):
        ranges = [(p.after, p.to) for p in sent if p.kind == kind]
        assert len(ranges) > 1 and ranges[0][0] == 0, ranges
        assert all(to - after <= 3 for after, to in ranges), ranges
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges)), ranges  # contiguous
    [followed] = follow.follow_once(nodes["hebei"].engine, capped, node="hebei", peers=["tianjin"], wait=0.2)
    assert {o.status for o in followed.outcomes} == {"accepted"} and len(followed.outcomes) == len(sent)
    assert nodes["hebei"].state()["state"] == nodes["tianjin"].state()["state"]
    with nodes["hebei"].engine.connect() as conn:
        assert search.lag(conn) == 0  # the run's one refresh, after its last message
    # Hebei's feed now holds only Tianjin's changes: cut short, its ranges go empty, and reach its end
    again = relay.relay_once(nodes["hebei"].engine, capped, node="hebei", box=nodes["hebei"].box)
    assert again and all(p.rows == 0 for p in again), again
    assert relay.relay_once(nodes["hebei"].engine, capped, node="hebei", box=nodes["hebei"].box) == []
    [followed] = follow.follow_once(nodes["beijing"].engine, capped, node="beijing", peers=["hebei"], wait=0.2)
    assert [o.status for o in followed.outcomes] == ["accepted"] * len(again)


def test_a_peer_never_overwrites_a_credit_record_this_node_or_a_third_owns(nodes: dict[str, Node],
                                                                           broker: nats_broker.Broker, tmp_path: Path):
    import json

    from jjjcredit.core.exchange import rows
    from jjjcredit.core.exchange.packages import Scope
    from jjjcredit.services.exchange import exchange
    from jjjcredit.services.sharing import disclosure

    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["beijing"]:
        if item.item:
            item.ingest(nodes["beijing"])
    relay_all(nodes, broker, ("beijing",))
    follow_all(nodes, broker, ("tianjin",))  # Tianjin holds Beijing's records, owned by Beijing
    with nodes["beijing"].engine.begin() as conn:
        _manifest, data = changes.own_changes(conn, nodes["beijing"].box, node="beijing", kind="credit_records",
                                              after=0, to=changes.position(conn, "credit_records"))
    own = rows.read("jsonl", "credit_records", rows.CREDIT_COLUMNS, data)
    forged = [{**r, "version": str(int(str(r["version"])) + 5), "values": json.dumps({"处罚内容": "冒名更正"},
                                                                                     ensure_ascii=False)}
              for r in own[:3]]
    with nodes["hebei"].engine.begin() as conn:  # Hebei's "newer versions" of Beijing's records
        manifest, contents = exchange.sign_package(
            conn, nodes["hebei"].box, node="hebei", kind="credit_records", audience="government", fmt="jsonl",
            scope=Scope(), after=0, to=3, found=forged, columns=rows.CREDIT_COLUMNS, day=disclosure.current_day(),
            now=changes._now())
    for name in ("beijing", "tianjin"):
        before = nodes[name].state()
        outcome = changes.apply_package(nodes[name].engine, manifest, contents["credit_records.jsonl"], node=name,
                                        expected="hebei", operator="test")
        assert outcome.status == "accepted" and outcome.counts["kept_own"] == 3, (name, outcome.to_dict())
        assert nodes[name].state() == before, name


def test_an_organization_registered_in_another_region_now_is_that_node_s(nodes: dict[str, Node],
                                                                         broker: nats_broker.Broker, tmp_path: Path):
    from jjjcredit.core.codes import uscc
    from jjjcredit.services.library import library
    from tests.services.library import library_files

    moved = uscc.generate(random.Random(7), "9", "1", "110101")  # a Beijing code, registered in Hebei now
    path = library_files.organizations(tmp_path / "moved.csv", [moved, *library_files.codes(2, seed=7)])
    library.ingest_file(nodes["hebei"].engine, str(path), "hebei/market-regulation")
    settle(nodes, broker)
    for name in NODES:
        with nodes[name].engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(organizations)
                                .where(organizations.c.uscc == moved)).scalar_one() == 1, name
    sent = relay.relay_once(nodes["beijing"].engine, broker, node="beijing", box=nodes["beijing"].box)
    assert sent == []  # Beijing holds it from Hebei: not Beijing's to publish
    assert len({nodes[n].state()["state"] for n in NODES}) == 1


def test_a_message_holds_what_government_sharing_sees_and_no_more(nodes: dict[str, Node], tmp_path: Path):
    from jjjcredit.core.credit import persons
    from jjjcredit.services.library import library
    from tests.services.credit import credit_files
    from tests.services.library import library_files

    codes = library_files.codes(3, seed=21)
    path = library_files.organizations(tmp_path / "orgs.csv", codes)
    library.ingest_file(nodes["hebei"].engine, str(path), "hebei/market-regulation")
    penalties = credit_files.write_csv(tmp_path / "p.csv", [credit_files.penalty(codes[0], "罚〔2026〕1号"),
                                                            credit_files.penalty(None, "罚〔2026〕2号")])
    records.ingest_file(nodes["hebei"].engine, str(penalties), credit_files.PENALTY, credit_files.PROVIDER,
                        protector=persons.Protector(bytes(32)), today=datetime.date.today())
    with nodes["hebei"].engine.begin() as conn:
        text = ""
        for kind in ("organizations", "credit_records"):
            manifest, data = changes.own_changes(conn, nodes["hebei"].box, node="hebei", kind=kind, after=0,
                                                 to=changes.position(conn, kind))
            assert manifest["audience"] == "government" and manifest["personal"] == "masked"
            text += data.decode("utf-8")
    for code in codes:
        for name, value in library_files.restricted(code).items():  # level 2 travels, level 3 never
            assert (value in text) is (name != "legal_rep_id_number"), (name, value)
    assert "罚〔2026〕2号" in text and credit_files.person() not in text  # a person's number: masked only


def test_a_follower_checks_the_next_message_while_it_applies_one_and_holds_none_when_it_stops(
        nodes: dict[str, Node], broker: nats_broker.Broker, tmp_path: Path):
    capped = dataclasses.replace(broker, message_changes=3)
    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["tianjin"]:
        item.ingest(nodes["tianjin"])
    sent = relay.relay_once(nodes["tianjin"].engine, capped, node="tianjin", box=nodes["tianjin"].box)
    assert len(sent) > 4, sent
    [first] = follow.follow_once(nodes["hebei"].engine, capped, node="hebei", peers=["tianjin"], limit=2, wait=0.2)
    assert [o.status for o in first.outcomes] == ["accepted"] * 2
    # no message was left fetched ahead and not applied (it would come again only after the broker's ack_wait,
    # 30 s, and the next run would meet the one after it first: a gap), so the next run takes the rest now
    started = datetime.datetime.now(datetime.UTC)
    [rest] = follow.follow_once(nodes["hebei"].engine, capped, node="hebei", peers=["tianjin"], wait=0.2)
    took = (datetime.datetime.now(datetime.UTC) - started).total_seconds()
    assert [o.status for o in rest.outcomes] == ["accepted"] * (len(sent) - 2), rest.to_dict()
    assert took < capped.ack_wait / 2, took
    assert nodes["hebei"].state()["state"] == nodes["tianjin"].state()["state"]


def test_a_message_a_stopped_follower_still_holds_is_waited_for_not_taken_for_a_gap(
        nodes: dict[str, Node], broker: nats_broker.Broker, tmp_path: Path):
    capped = dataclasses.replace(broker, message_changes=1, ack_wait=2.0)
    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["tianjin"]:
        item.ingest(nodes["tianjin"])
    sent = relay.relay_once(nodes["tianjin"].engine, capped, node="tianjin", box=nodes["tianjin"].box,
                            kinds=("organizations",))  # one kind: the third message's range follows the second's
    assert len(sent) >= 3, sent
    [first] = follow.follow_once(nodes["hebei"].engine, capped, node="hebei", peers=["tianjin"], limit=1, wait=0.2)
    assert [o.status for o in first.outcomes] == ["accepted"]

    async def taken_and_left() -> int:  # a follower of this node that took the second message and was killed
        client = await nats.connect(capped.url)
        try:
            sub = await client.jetstream().pull_subscribe_bind(
                durable="hebei", stream=messages.stream_name(capped.prefix, "tianjin"))
            [msg] = await sub.fetch(1, timeout=5)
            return int(msg.metadata.sequence.stream)
        finally:
            await client.close()

    assert asyncio.run(taken_and_left()) == 2
    # the next run meets the third message first: not a gap to stop at — the second comes again after the
    # broker's ack wait, and every message is applied in turn
    [rest] = follow.follow_once(nodes["hebei"].engine, capped, node="hebei", peers=["tianjin"], wait=0.2)
    assert rest.stopped is None and rest.deferred >= 1, rest.to_dict()
    assert [o.status for o in rest.outcomes] == ["accepted"] * (len(sent) - 1), rest.to_dict()
    with nodes["hebei"].engine.connect() as conn:  # every range applied once, in turn
        applied = conn.execute(select(exchange_packages.c.to_seq).where(exchange_packages.c.origin == "tianjin")
                               .order_by(exchange_packages.c.applied_at)).scalars().all()
    assert applied == [p.to for p in sent], (applied, sent)
    assert nodes["hebei"].state()["organizations"] == nodes["tianjin"].state()["organizations"]


def test_a_consumer_an_earlier_release_made_one_message_at_a_time_is_given_the_next_ahead(
        nodes: dict[str, Node], broker: nats_broker.Broker):
    from nats.js.api import ConsumerConfig, DeliverPolicy

    async def made_before() -> None:
        client = await nats.connect(broker.url)
        try:
            js = client.jetstream()
            stream = await nats_broker.ensure_stream(js, broker, "tianjin")
            await js.add_consumer(stream, config=ConsumerConfig(
                durable_name="hebei", deliver_policy=DeliverPolicy.ALL, ack_wait=broker.ack_wait, max_ack_pending=1,
                filter_subject=messages.subject(broker.prefix, "tianjin", ">")))
        finally:
            await client.close()

    async def held() -> int:
        client = await nats.connect(broker.url)
        try:
            info = await client.jetstream().consumer_info(messages.stream_name(broker.prefix, "tianjin"), "hebei")
            return int(info.config.max_ack_pending or 0)
        finally:
            await client.close()

    asyncio.run(made_before())
    assert asyncio.run(held()) == 1
    follow.follow_once(nodes["hebei"].engine, broker, node="hebei", peers=["tianjin"], wait=0.1)
    assert asyncio.run(held()) == nats_broker.AHEAD


async def _next_two(b: nats_broker.Broker, follower: str, peer: str, within: float) -> list[int]:
    """The stream sequences the follower's consumer delivers next, within ``within`` seconds (at most two)."""
    client = await nats.connect(b.url)
    try:
        sub = await client.jetstream().pull_subscribe_bind(durable=follower,
                                                           stream=messages.stream_name(b.prefix, peer))
        found: list[int] = []
        deadline = time.monotonic() + within
        while len(found) < 2 and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                for msg in await sub.fetch(2 - len(found), timeout=0.5):
                    found.append(int(msg.metadata.sequence.stream))
        return found
    finally:
        await client.close()


def test_a_run_a_gap_stops_gives_back_what_it_holds_at_once_and_in_stream_order(
        nodes: dict[str, Node], broker: nats_broker.Broker, tmp_path: Path):
    manifest, data = _hebei_organizations(nodes, tmp_path, last_only=True)  # a range after what was applied
    with nodes["hebei"].engine.begin() as conn:
        whole = changes.own_changes(conn, nodes["hebei"].box, node="hebei", kind="organizations", after=0,
                                    to=changes.position(conn, "organizations"))
    asyncio.run(_publish_raw(broker, "hebei", "organizations", messages.pack(manifest, data), "test:gap"))
    asyncio.run(_publish_raw(broker, "hebei", "organizations", messages.pack(*whole), "test:whole"))
    [followed] = follow.follow_once(nodes["beijing"].engine, broker, node="beijing", peers=["hebei"], wait=0.2)
    assert [o.reason.code for o in followed.outcomes if o.reason] == ["federation.gap"], followed.to_dict()
    # the gap's message and the one fetched ahead come again within the run's wait, first first — not the
    # second alone after the broker's ack_wait (30 s), which would be a gap again
    assert asyncio.run(_next_two(broker, "beijing", "hebei", within=5.0)) == [1, 2]


def test_a_peer_s_record_under_an_identity_number_as_its_code_is_refused_at_apply_masked(
        nodes: dict[str, Node], tmp_path: Path):
    """The apply-time refusal exchange imports share (services/exchange/apply.apply_credit): a record whose
    organization code is an identity number the receiver's library does not hold would keep a natural
    person in clear — the whole message is refused, its reason masked, and nothing is applied."""
    from jjjcredit.core.exchange import rows
    from jjjcredit.core.exchange.packages import Scope
    from jjjcredit.services.exchange import exchange
    from jjjcredit.services.sharing import disclosure

    as_code = "130102198505010719"  # a valid identity number that passes a code's checks as well
    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["hebei"]:
        if item.item:
            item.ingest(nodes["hebei"])
    with nodes["hebei"].engine.begin() as conn:
        _manifest, data = changes.own_changes(conn, nodes["hebei"].box, node="hebei", kind="credit_records",
                                              after=0, to=changes.position(conn, "credit_records"))
        own = rows.read("jsonl", "credit_records", rows.CREDIT_COLUMNS, data)
        organization = next(r for r in own if r["subject_type"] != "natural_person")
        spoilt = [{**r, "subject_code": as_code, "subject_key": as_code} if r is organization else r for r in own]
        manifest, contents = exchange.sign_package(
            conn, nodes["hebei"].box, node="hebei", kind="credit_records", audience="government", fmt="jsonl",
            scope=Scope(), after=0, to=len(spoilt), found=spoilt, columns=rows.CREDIT_COLUMNS,
            day=disclosure.current_day(), now=changes._now())
    before = nodes["beijing"].state()
    outcome = changes.apply_package(nodes["beijing"].engine, manifest, contents["credit_records.jsonl"],
                                    node="beijing", expected="hebei", operator="test")
    assert outcome.status == "refused" and outcome.reason is not None, outcome.to_dict()
    assert outcome.reason.code == "exchange.rows", outcome.to_dict()
    assert as_code not in str(outcome.to_dict()) and "19850501" not in str(outcome.to_dict())
    assert nodes["beijing"].state() == before


def test_a_peer_s_record_under_an_item_this_node_never_had_is_refused_alone(nodes: dict[str, Node], tmp_path: Path):
    """The apply-time refusal of one record (services/exchange/apply.apply_credit): a record new here under an
    item the receiver's catalogue never had is refused alone, counted and listed in the outcome and given no
    owner here; the rest of the message applies and the range is applied (the next one follows it)."""
    from jjjcredit.core.exchange import rows
    from jjjcredit.core.exchange.packages import Scope
    from jjjcredit.services.exchange import exchange
    from jjjcredit.services.sharing import disclosure
    from jjjcredit.storage.schema import federation_records

    work = department_files(tmp_path / "demo", count=30, seed=5)
    for item in work["hebei"]:
        if item.item:
            item.ingest(nodes["hebei"])
    with nodes["hebei"].engine.begin() as conn:
        to = changes.position(conn, "credit_records")
        _manifest, data = changes.own_changes(conn, nodes["hebei"].box, node="hebei", kind="credit_records",
                                              after=0, to=to)
        own = rows.read("jsonl", "credit_records", rows.CREDIT_COLUMNS, data)
        odd = own[0]
        moved = rules.record_id("JJJ-99-001", str(odd["provider"]), str(odd["document_number"]))  # its id under it
        sent = [{**r, "item": "JJJ-99-001", "id": moved} if r["id"] == odd["id"] else r for r in own]
        manifest, contents = exchange.sign_package(
            conn, nodes["hebei"].box, node="hebei", kind="credit_records", audience="government", fmt="jsonl",
            scope=Scope(), after=0, to=to, found=sent, columns=rows.CREDIT_COLUMNS,
            day=disclosure.current_day(), now=changes._now())
    outcome = changes.apply_package(nodes["beijing"].engine, manifest, contents["credit_records.jsonl"],
                                    node="beijing", expected="hebei", operator="test")
    assert outcome.status == "accepted", outcome.to_dict()
    refused = sum(1 for r in own if r["id"] == odd["id"])
    assert outcome.counts["refused"] == refused and outcome.counts["created"] > 0, outcome.to_dict()
    assert {(r["id"], r["code"]) for r in outcome.to_dict()["refused"]} == {(moved, "credit.unknown_item")}
    with nodes["beijing"].engine.connect() as conn:
        owned = set(conn.execute(select(federation_records.c.record_id)).scalars())
        assert moved not in owned and len(owned) == outcome.counts["created"]
        assert changes.last_applied(conn, "hebei", "credit_records") == to
