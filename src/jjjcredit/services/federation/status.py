"""How far behind each peer this node is, and how far its relay has published: what ``federation status``
prints and ``/metrics`` serves (web/metrics.py) — read from the database (the follower notes each peer
stream's newest message when it looks), so a scrape never waits on the broker.

Per peer: the last stream sequence taken, the peer stream's last sequence as last seen, the sequences behind
(their difference) and the seconds behind (from the peer's newest message back to the one applied last; when
nothing was applied yet, since the newest was stored), the end of the range applied per kind.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jjjcredit.core.exchange import packages
from jjjcredit.services.federation import changes
from jjjcredit.storage.schema import exchange_peers, federation_applied, federation_published


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _time(value: datetime.datetime | None) -> str | None:
    found = _aware(value)
    return found.isoformat() if found else None


def note_peer(conn: Connection, origin: str, last_seq: int, last_at: datetime.datetime | None) -> None:
    """Note ``origin``'s stream's newest message as the follower saw it."""
    a = federation_applied.c
    if conn.execute(select(a.origin).where(a.origin == origin)).first() is None:
        conn.execute(insert(federation_applied).values(origin=origin, stream_seq=0, peer_seq=last_seq,
                                                       peer_at=last_at, checked_at=_now()))
    else:
        conn.execute(update(federation_applied).where(a.origin == origin).values(
            peer_seq=last_seq, peer_at=last_at, checked_at=_now()))


def lag_of(row: Any, now: datetime.datetime | None = None) -> tuple[int, float]:
    """Sequences and seconds behind one peer, from its ``federation_applied`` row."""
    behind = max(0, int(row.peer_seq or 0) - int(row.stream_seq or 0))
    if not behind:
        return 0, 0.0
    peer_at, applied = _aware(row.peer_at), _aware(row.message_at)
    if peer_at is None:
        return behind, 0.0
    since = applied or peer_at
    seconds = (peer_at - since).total_seconds() if applied else ((now or _now()) - peer_at).total_seconds()
    return behind, max(0.0, seconds)


def lags(conn: Connection) -> list[tuple[str, int, float]]:
    """Per peer this node took messages from or looked at: sequences and seconds behind (one query)."""
    return [(str(row.origin), *lag_of(row)) for row in
            conn.execute(select(federation_applied).order_by(federation_applied.c.origin))]


def federation_status(conn: Connection, node: str) -> dict[str, Any]:
    """This node's relay positions per kind and its lag per peer (see the module's text)."""
    published = {r.kind: {"published_to": int(r.to_seq), "pending_to": r.pending_to, "stream_seq": r.stream_seq,
                          "published_at": _time(r.published_at)}
                 for r in conn.execute(select(federation_published))}
    rows = {r.origin: r for r in conn.execute(select(federation_applied))}
    peers = []
    for name in conn.execute(select(exchange_peers.c.name).order_by(exchange_peers.c.name)).scalars():
        row = rows.get(name)
        behind, seconds = lag_of(row) if row is not None else (0, 0.0)
        peers.append({
            "peer": name, "stream_seq": int(row.stream_seq) if row else 0,
            "peer_stream_seq": int(row.peer_seq or 0) if row else None, "behind": behind,
            "seconds_behind": round(seconds, 3),
            "applied_to": {k: changes.last_applied(conn, name, k) for k in packages.KINDS} if _named(name) else {},
            "checked_at": _time(row.checked_at) if row is not None else None})
    return {"node": node, "published": published, "peers": peers}


def _named(node: str) -> bool:
    try:
        changes.scope_of(node, "organizations")
    except ValueError:
        return False
    return True
