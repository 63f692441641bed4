"""Application parties (3041): clients with API keys, granted services and a security-level ceiling.

A key is ``jjj_<prefix>_<secret>``; only its SHA-256 is stored, and it is shown once, at creation.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jjjcredit.core.errors import Error
from jjjcredit.core.sharing import access
from jjjcredit.storage.schema import clients


class ClientError(Error):
    """An application party that cannot be added or changed as asked; ``code`` is stable (docs/errors.md)."""


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    key_prefix: str
    services: frozenset[str]
    level: int
    created_at: Any
    revoked_at: Any

    def caller(self) -> access.Caller:
        return access.Caller(self.name, self.services, self.level)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _client(row: Any) -> Client:
    return Client(row.id, row.name, row.key_prefix, frozenset(row.services.split(",")), row.level,
                  row.created_at, row.revoked_at)


def add_client(conn: Connection, name: str, services: str, level: int) -> tuple[Client, str]:
    """Create a client; returns it and its key (shown once: only its hash is kept)."""
    try:
        granted = access.parse_services(services)
    except ValueError as exc:
        raise ClientError("clients.services", f"Services: {exc}.") from None
    if level not in (1, 2, 3):
        raise ClientError("clients.level", f"Level {level} is not a security level: expected 1, 2 or 3.")
    if not name.strip():
        raise ClientError("clients.name", "A client needs a name (the application party's department).")
    if conn.execute(select(clients.c.id).where(clients.c.name == name)).first() is not None:
        raise ClientError("clients.exists",
                          f'A client named "{name}" exists already: revoke it or choose another name.')
    prefix = secrets.token_hex(4)
    key = f"jjj_{prefix}_{secrets.token_urlsafe(24)}"
    now = datetime.datetime.now(datetime.UTC)
    conn.execute(insert(clients).values(id=uuid.uuid4().hex, name=name, key_prefix=prefix, key_hash=_hash(key),
                                        services=",".join(sorted(granted)), level=level, created_at=now))
    row = conn.execute(select(clients).where(clients.c.key_prefix == prefix)).one()
    return _client(row), key


def list_clients(conn: Connection) -> list[Client]:
    return [_client(r) for r in conn.execute(select(clients).order_by(clients.c.created_at))]


def revoke_client(conn: Connection, name: str) -> Client:
    row = conn.execute(select(clients).where(clients.c.name == name)).first()
    if row is None:
        raise ClientError("clients.unknown", f'There is no client named "{name}": `jjjcredit clients list` shows them.')
    conn.execute(update(clients).where(clients.c.name == name).values(
        revoked_at=datetime.datetime.now(datetime.UTC)))
    return _client(conn.execute(select(clients).where(clients.c.name == name)).one())


def caller_of(conn: Connection, key: str) -> access.Caller | None:
    """What a live client's key admits it to (its :meth:`Client.caller`), or ``None`` for a key that is
    unknown, malformed or revoked — in one query on the driver: the API asks this on every call with
    a key."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "jjj":
        return None
    raw: Any = conn.connection.driver_connection
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    row = raw.execute("SELECT name, services, level, key_hash FROM clients "
                      f"WHERE key_prefix = {mark} AND revoked_at IS NULL", (parts[1],)).fetchone()
    if row is None or not hmac.compare_digest(row[3], _hash(key)):
        return None
    return access.Caller(row[0], frozenset(row[1].split(",")), int(row[2]))
