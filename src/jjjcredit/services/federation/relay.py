"""The relay: this node's own changes, committed with each change (the library's change feed, the exchange's
feed of credit record versions — the transactional outbox), published to the broker after the position it
reached, one signed package per kind and range.

For each kind, in one transaction: the node's sequence (credit versions numbered), the range after the
published position, its own changes as a package (services/federation/changes.py) — none: nothing is sent
and the position stays, so the next message covers the range — and the range noted as **pending**. Then the
publish, with ``Nats-Msg-Id`` ``<node>:<kind>:<after>-<to>``; only the broker's acknowledgement advances the
position. A relay stopped between the commit and the publish publishes the pending range again, with the same
id: the broker stores it once (a duplicate within its window), and a follower skips a range it applied.
Changes that arrived from a peer are never published again: they are not this node's own.

A message covers at most ``Broker.message_changes`` sequence numbers: a larger backlog goes as several
messages in the same pass, each published and acknowledged before the next is prepared. A range cut short
that holds nothing of the node's own still goes, empty, so the ranges a follower applies stay contiguous.
"""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from jjjcredit.core.exchange import packages
from jjjcredit.core.federation import messages
from jjjcredit.services import db
from jjjcredit.services.exchange import exchange
from jjjcredit.services.federation import broker as nats_broker
from jjjcredit.services.federation import changes
from jjjcredit.services.sharing import evidence
from jjjcredit.storage.schema import federation_published


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Published:
    """One message the relay published: kind, range, rows, its id, stream sequence, and whether the broker
    held it already."""

    kind: str
    after: int
    to: int
    rows: int
    msg_id: str
    stream_seq: int
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sequence": {"after": self.after, "to": self.to}, "rows": self.rows,
                "message_id": self.msg_id, "stream_seq": self.stream_seq, "duplicate": self.duplicate}


def published_position(conn: Connection, kind: str) -> tuple[int, int | None]:
    """The end of the last range the broker acknowledged for ``kind``, and a pending range's end."""
    found = conn.execute(select(federation_published.c.to_seq, federation_published.c.pending_to)
                         .where(federation_published.c.kind == kind)).first()
    if found is None:
        conn.execute(insert(federation_published).values(kind=kind, to_seq=0))
        return 0, None
    return int(found.to_seq), None if found.pending_to is None else int(found.pending_to)


def _prepare(engine: Engine, box: evidence.KeyBox | None, node: str, kind: str,
             most: int) -> tuple[dict[str, Any], bytes] | None:
    with engine.begin() as conn:
        conn.execute(update(federation_published).where(federation_published.c.kind == kind)
                     .values(to_seq=federation_published.c.to_seq))  # one relay at a time per node and kind
        after, pending = published_position(conn, kind)
        end = changes.position(conn, kind)
        to = min(end, after + most)
        if pending is not None and pending > after:
            to = pending  # the range a stopped relay was publishing: the same again, under the same id
        if to <= after:
            return None
        manifest, data = changes.own_changes(conn, box, node=node, kind=kind, after=after, to=to)
        if manifest["counts"]["rows"] == 0 and pending is None and to == end:
            return None  # nothing of this node's own in the range: the next message covers it
        conn.execute(update(federation_published).where(federation_published.c.kind == kind).values(pending_to=to))
    return manifest, data


def advance(engine: Engine, broker: nats_broker.Broker, node: str, kind: str, manifest: dict[str, Any], msg_id: str,
            stream_seq: int, duplicate: bool, operator: str | None) -> None:
    """After the broker's acknowledgement: the position moves to the range's end, and the audit trail says
    what was sent."""
    after, to = int(manifest["sequence"]["after"]), int(manifest["sequence"]["to"])
    with engine.begin() as conn:
        conn.execute(update(federation_published).where(federation_published.c.kind == kind).values(
            to_seq=to, pending_to=None, stream_seq=stream_seq, published_at=_now()))
        exchange.record_entry(conn, f"federation relay {msg_id}", "ok",
                              f"sent {kind} {after + 1}-{to} to stream {messages.stream_name(broker.prefix, node)} "
                              f"(seq {stream_seq}{', held already' if duplicate else ''}): "
                              f"{manifest['counts']['rows']} rows", operator, "federation")


async def _relay(engine: Engine, broker: nats_broker.Broker, node: str, box: evidence.KeyBox | None,
                 kinds: tuple[str, ...], operator: str | None) -> list[Published]:
    done: list[Published] = []
    async with nats_broker.connected(broker) as js:
        await nats_broker.ensure_stream(js, broker, node)
        for kind in kinds:
            while (prepared := _prepare(engine, box, node, kind, broker.message_changes)) is not None:
                manifest, data = prepared
                after, to = int(manifest["sequence"]["after"]), int(manifest["sequence"]["to"])
                msg_id = messages.message_id(node, kind, after, to)
                stream_seq, duplicate = await nats_broker.publish(js, broker, node, kind, manifest, data, msg_id)
                advance(engine, broker, node, kind, manifest, msg_id, stream_seq, duplicate, operator)
                done.append(Published(kind, after, to, int(manifest["counts"]["rows"]), msg_id, stream_seq,
                                      duplicate))
    return done


def relay_once(engine: Engine, broker: nats_broker.Broker, *, node: str, box: evidence.KeyBox | None,
               kinds: tuple[str, ...] = packages.KINDS, operator: str | None = None) -> list[Published]:
    """Publish this node's own changes not published yet, each kind's as one message per range of at most
    ``broker.message_changes`` (see the module's text)."""
    db.require_current(engine)
    packages.check_node(node)
    messages.region_of(node)
    return asyncio.run(_relay(engine, broker, node, box, kinds, operator))
