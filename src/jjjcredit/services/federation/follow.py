"""The follower: each peer's changes, taken from its stream on the broker by this node's durable consumer
(which remembers what was acknowledged: a node that was down starts where it stopped), applied
(services/federation/changes.py) and only then acknowledged. A message applied already is skipped and
acknowledged (a duplicate delivery changes nothing); a refused one — tampered, unsigned, not its node's — is
recorded with its reason and terminated; a gap is recorded and the message is left for later, and the peer's
messages stop there (the changes in between come by ``federation pull``). The next message is fetched and
checked while one is applied. The search keys of the organizations applied are refreshed once a run, after the
peer's last message (they follow the change feed: a lookup or a verification sees a change as soon as its
message is applied, a search once the run ends). Refreshed beside the apply instead, they halved it (measured:
docs/benchmarks.md, runs C): a node catching up takes its data first."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from jjjcredit.core.federation import messages
from jjjcredit.services import db
from jjjcredit.services.federation import broker as nats_broker
from jjjcredit.services.federation import changes, status
from jjjcredit.services.library import search
from jjjcredit.storage.schema import exchange_peers


@dataclass
class Followed:
    """What one run took from one peer: each message's outcome, why it stopped early (a gap), how many times a
    message came before one a stopped follower still held (given back to come after it: ``deferred``), and
    how long the search keys' refresh after its last message took."""

    peer: str
    outcomes: list[changes.Outcome] = field(default_factory=list)
    stopped: str | None = None
    search_seconds: float | None = None  #: the run's refresh of the search keys (``None``: none needed)
    deferred: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"peer": self.peer, "messages": [o.to_dict() for o in self.outcomes], "stopped": self.stopped,
                "deferred": self.deferred, "search_seconds": self.search_seconds}


def peers_of(engine: Engine) -> list[str]:
    """The peers this node follows: every node among its exchange peers."""
    with engine.connect() as conn:
        return list(conn.execute(select(exchange_peers.c.name).order_by(exchange_peers.c.name)).scalars())


#: How many times one run gives back a message that came before a missing one it waits for; then the gap stops it
#: (a message held elsewhere that never comes back is not waited for without end).
MOST_DEFERRED = 10


async def _follow_peer(engine: Engine, js: Any, broker: nats_broker.Broker, node: str, peer: str, limit: int,
                       wait: float, operator: str | None) -> Followed:
    result = Followed(peer)
    sub = await nats_broker.subscription(js, broker, node, peer)
    deadline = time.monotonic() + broker.ack_wait + broker.timeout + 2 * wait
    loop = asyncio.get_running_loop()
    checker = ThreadPoolExecutor(1, thread_name_prefix="federation-check")
    admitted = changes.signed_by_peer(engine, node)  # a large package's object is fetched only once this passes

    async def take() -> list[tuple[nats_broker.Delivered, asyncio.Future[changes.Checked]]]:
        """The next message, its check started beside the apply of the one before."""
        return [(item, loop.run_in_executor(checker, functools.partial(
            changes.check_package, engine, item.manifest, item.data, node=node, expected=peer, via="nats",
            encoding=item.encoding, most=broker.data_bytes)))
            for item in await nats_broker.fetch(js, broker, sub, wait, admitted)]

    ahead: asyncio.Task[list[tuple[nats_broker.Delivered, asyncio.Future[changes.Checked]]]] | None = None
    held: dict[int, Any] = {}  # stream sequence → a message delivered and not answered yet
    try:
        ahead = asyncio.create_task(take()) if limit > 0 else None
        while ahead is not None:
            delivered, ahead = await ahead, None
            held.update((item.stream_seq, item.msg) for item, _ in delivered)
            if not delivered:
                # nothing came within ``wait``: the end, unless the broker still holds messages for this consumer —
                # not delivered yet (a slow answer), or taken by a follower that stopped before acknowledging them
                # (they come again after the broker's ack_wait) — which one run waits for, within a bound
                pending, unacknowledged = await nats_broker.waiting(sub)
                if (pending or unacknowledged) and time.monotonic() < deadline:
                    ahead = asyncio.create_task(take())
                continue
            item, checking = delivered[0]
            if len(result.outcomes) + 1 < limit:
                ahead = asyncio.create_task(take())  # the next message is fetched and checked meanwhile
            checked = await checking
            outcome = await asyncio.to_thread(
                changes.apply_checked, engine, checked, node=node, via="nats", stream_seq=item.stream_seq,
                message_at=item.at, operator=operator, refresh_search=False)
            result.outcomes.append(outcome)
            if outcome.reason is not None and outcome.reason.code == "federation.gap":
                await _collect(ahead, held)
                ahead = None
                out = await _missing_is_out(sub, held)
                earlier = any(seq < item.stream_seq for seq in held)
                if (out or earlier) and result.deferred < MOST_DEFERRED and time.monotonic() < deadline:
                    # the message missing is with a follower that stopped before acknowledging it (this node's
                    # run killed, say), which the broker delivers again after its ack_wait — or came again just
                    # now, fetched ahead: what is held goes back in stream order, to come after it (or at once,
                    # the earlier first), and the run goes on
                    result.outcomes.pop()
                    result.deferred += 1
                    await _give_back(None, held, broker.ack_wait + wait if out else wait)
                    deadline = max(deadline, time.monotonic() + 2 * broker.ack_wait + broker.timeout + 2 * wait)
                    ahead = asyncio.create_task(take())
                    continue
                result.stopped = outcome.reason.message
                break  # given back below, with the one fetched ahead
            if outcome.status == "refused":
                await item.msg.term()
            else:
                await item.msg.ack_sync()
            del held[item.stream_seq]
    finally:  # once a run, even one a broker failure ends: the keys follow the change feed
        await _give_back(ahead, held, wait)
        checker.shutdown(wait=True)
        result.search_seconds = _refresh_search(engine)
    last_seq, last_at = await nats_broker.last_sequence(js, broker, peer)
    with engine.begin() as conn:
        status.note_peer(conn, peer, last_seq, last_at)
    return result


async def _collect(ahead: asyncio.Task[list[tuple[nats_broker.Delivered, asyncio.Future[changes.Checked]]]] | None,
                   held: dict[int, Any]) -> None:
    """The message fetched ahead, if any, among those held, its check let go. The fetch is awaited, never
    cancelled: its request is with the broker already, which would deliver the message to no one."""
    if ahead is None:
        return
    try:
        delivered = await ahead  # within ``wait``
    except Exception:  # a fetch that failed holds nothing
        delivered = []
    for item, checking in delivered:
        held[item.stream_seq] = item.msg
        checking.cancel()
        checking.add_done_callback(_retrieved)


async def _missing_is_out(sub: Any, held: dict[int, Any]) -> bool:
    """Whether the broker counts more messages delivered and not acknowledged than this run holds: the others
    are with a follower of this node that stopped before it answered them, and come again after the ack wait."""
    _, unacknowledged = await nats_broker.waiting(sub)
    return unacknowledged > len(held)


async def _give_back(ahead: asyncio.Task[list[tuple[nats_broker.Delivered, asyncio.Future[changes.Checked]]]] | None,
                     held: dict[int, Any], wait: float) -> None:
    """The messages a run stops holding — the one a gap or a failure stopped it at, the one fetched ahead — go
    back to the broker at once, in stream order, to come again in that order after ``wait`` seconds (rather
    than after its ack_wait, the later one first: a gap again)."""
    await _collect(ahead, held)
    for stream_seq in sorted(held):
        with contextlib.suppress(Exception):  # else the broker delivers it again after its ack_wait
            await held[stream_seq].nak(delay=wait)
    held.clear()


def _retrieved(done: asyncio.Future[Any]) -> None:
    """A check given back is not wanted: its outcome, or its failure, is let go (not reported as lost)."""
    if not done.cancelled():
        done.exception()


def _refresh_search(engine: Engine) -> float | None:
    """Bring the search keys up to the change feed when they are behind it (whatever put the changes there:
    this run, or an earlier one that ended before its refresh); the seconds it took, ``None`` when they were
    not behind."""
    with engine.connect() as conn:
        behind = search.lag(conn)
    return search.refresh(engine).seconds if behind else None


async def _follow(engine: Engine, broker: nats_broker.Broker, node: str, peers: list[str], limit: int,
                  wait: float, operator: str | None) -> list[Followed]:
    async with nats_broker.connected(broker) as js:
        return [await _follow_peer(engine, js, broker, node, peer, limit, wait, operator) for peer in peers]


def follow_once(engine: Engine, broker: nats_broker.Broker, *, node: str, peers: list[str] | None = None,
                limit: int = 1000, wait: float = 0.5, operator: str | None = None) -> list[Followed]:
    """Take and apply every waiting message of each peer (at most ``limit`` each), waiting ``wait`` seconds
    for one to arrive; ``peers`` ``None``: every exchange peer."""
    db.require_current(engine)
    messages.region_of(node)
    return asyncio.run(_follow(engine, broker, node, peers_of(engine) if peers is None else peers, limit, wait,
                               operator))
