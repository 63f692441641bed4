"""Application parties (3041): clients with API keys, granted services and a security-level ceiling,
and optionally the catalogue items whose credit records they are granted (:func:`grant_items`;
none named: every item within their level).

A key is ``jjj_<prefix>_<secret>``; only its SHA-256 is stored, and it is shown once, at creation.
:func:`rotate_client` gives a client a new key; the old one stays valid for a grace period, then is
refused with ``access.key_expired``. A name is held by one client for good: once revoked, it is never given
again (``clients.name_revoked``) — a provider's credit records, a subject's authorizations and the audit trail
name an application party by its name, and a new client given it would correct or revoke the first one's
records and use the consent given to it. A party that needs a new key is given one by :func:`rotate_client`.
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

from jjjcredit.core.codes.personal import personal_in
from jjjcredit.core.credit import catalogue
from jjjcredit.core.errors import Error
from jjjcredit.core.library import names
from jjjcredit.core.sharing import access, subjects
from jjjcredit.services.credit import items as credit_items
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
    #: The catalogue items whose credit records it is granted (``None``: every item within its level).
    items: frozenset[str] | None = None

    def caller(self) -> access.Caller:
        return access.Caller(self.name, self.services, self.level, items=self.items, client_id=self.id)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _items(stored: str | None) -> frozenset[str] | None:
    """A stored item grant (comma-separated codes; ``NULL``: every item within the level)."""
    return None if stored is None else frozenset(stored.split(","))


def _client(row: Any) -> Client:
    return Client(row.id, row.name, row.key_prefix, frozenset(row.services.split(",")), row.level,
                  row.created_at, row.revoked_at, _items(row.items))


def check_items(conn: Connection, text: str) -> frozenset[str]:
    """The directory codes of a comma-separated item grant (``JJJ-03-001,JJJ-02-001``; spaces and lower
    case tolerated), each checked against the items of the catalogue edition in force — or, before
    any edition is published, of the default catalogue."""
    codes = frozenset(c.strip().upper() for c in text.split(",") if c.strip())
    in_force = credit_items.items_of(conn)
    where = "the catalogue edition in force" if in_force else "the default catalogue (no edition is published yet)"
    known = sorted(i.code for i in (in_force or catalogue.default_items()))
    if not codes:
        raise ClientError("clients.items", f"No item named: give the directory codes of the items the client is "
                          f"granted, comma-separated (some of {', '.join(known)}), or name none to grant every "
                          "item within its level.", field="items")
    unknown = sorted(codes - set(known))
    if unknown:
        named = ", ".join(catalogue.shown_code(u) for u in unknown)
        raise ClientError("clients.items", f"Item {named} is not an item of {where}: expected some of "
                          f"{', '.join(known)}; `jjjcredit catalogue show` lists them.", field="items")
    return codes


def add_client(conn: Connection, name: str, services: str, level: int,
               items: str | None = None) -> tuple[Client, str]:
    """Create a client; returns it and its key (shown once: only its hash is kept). ``items`` names the
    catalogue items whose credit records it is granted (comma-separated; checked by :func:`check_items`);
    ``None``: every item within its level."""
    try:
        granted = access.parse_services(services)
    except ValueError as exc:
        raise ClientError("clients.services", f"Services: {exc}.") from None
    if level not in (1, 2, 3):
        raise ClientError("clients.level", f"Level {level} is not a security level: expected 1, 2 or 3.")
    if not name.strip():
        raise ClientError("clients.name", "A client needs a name (the application party's department).")
    if name.strip().lower().startswith(subjects.RESERVED_PREFIXES):
        reserved = " or ".join(subjects.RESERVED_PREFIXES)
        raise ClientError("clients.name", f"A client's name never starts with {reserved}: the audit trail names the "
                          "staff and credit subjects so.")
    if personal_in(name):
        raise ClientError("clients.name", "A client's name holds what looks like an identity or mobile number; it is "
                          "shown to the subjects it asks about, so name the department only.")
    hidden = names.unseen(name)
    if hidden is not None:
        raise ClientError("clients.name", f"A client's name holds the character U+{ord(hidden[1]):04X} at position "
                          f"{hidden[0] + 1}, which shows nothing; expected the department's name as it is written.")
    if _live(conn, name) is not None:
        raise ClientError("clients.exists",
                          f'A client named "{name}" exists already: give it a new key (`jjjcredit clients rotate`) '
                          "or choose another name.")
    _not_revoked(conn, name)
    alike = next((r.name for r in conn.execute(select(clients.c.name).where(clients.c.revoked_at.is_(None)))
                  if names.same_party(r.name, name)), None)
    if alike is not None:  # two live clients whose names show alike would be one party to whoever reads the trail
        raise ClientError("clients.exists", f'A client named "{alike}" exists already, and "{name}" reads the same '
                          "(spaces, letter case and full-width forms aside): give it a new key (`jjjcredit clients "
                          "rotate`) or choose another name.")
    codes = None if items is None else check_items(conn, items)
    prefix, key = _new_key()
    now = datetime.datetime.now(datetime.UTC)
    conn.execute(insert(clients).values(id=uuid.uuid4().hex, name=name, key_prefix=prefix, key_hash=_hash(key),
                                        services=",".join(sorted(granted)), level=level, created_at=now,
                                        items=None if codes is None else ",".join(sorted(codes))))
    row = conn.execute(select(clients).where(clients.c.key_prefix == prefix)).one()
    return _client(row), key


def _not_revoked(conn: Connection, name: str) -> None:
    """Refuse a name a revoked client had — or one that reads the same (``clients.name_revoked``): the records
    it provided, the authorizations given to it and the audit trail name it so, and stay its own."""
    revoked = conn.execute(select(clients.c.name, clients.c.revoked_at).where(clients.c.revoked_at.is_not(None))
                           .order_by(clients.c.revoked_at))
    gone = next((r for r in revoked if names.same_party(r.name, name)), None)
    if gone is None:
        return
    same = "" if gone.name == name else f' "{gone.name}", which "{name}" reads the same as,'
    when = gone.revoked_at if gone.revoked_at.tzinfo else gone.revoked_at.replace(tzinfo=datetime.UTC)
    raise ClientError("clients.name_revoked", f'The client named "{name}"{same} was revoked on {when:%Y-%m-%d} and '
                      "its name is never given again: the credit records it provided, the authorizations subjects "
                      "gave it and the audit trail name it, and a new client of that name would act on them. "
                      "Choose another name (the department's name with its office, for instance); a party "
                      "that only needs a new key keeps its client and is given one with `jjjcredit clients rotate`.",
                      field="name")


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"jjj_{prefix}_{secrets.token_urlsafe(24)}"


def _live(conn: Connection, name: str) -> Any:
    """The client of this name that is not revoked (there is at most one), or ``None``."""
    return conn.execute(select(clients).where(clients.c.name == name, clients.c.revoked_at.is_(None))).first()


def list_clients(conn: Connection) -> list[Client]:
    return [_client(r) for r in conn.execute(select(clients).order_by(clients.c.created_at))]


def _unknown(name: str) -> ClientError:
    return ClientError("clients.unknown", f'There is no live client named "{name}": `jjjcredit clients list` '
                       "shows them.")


def grant_items(conn: Connection, name: str, items: str | None) -> Client:
    """Set the catalogue items whose credit records the live client of this name is granted, at once
    (its key stays): comma-separated codes checked by :func:`check_items`, or ``None`` for every item
    within its level."""
    row = _live(conn, name)
    if row is None:
        raise _unknown(name)
    codes = None if items is None else check_items(conn, items)
    conn.execute(update(clients).where(clients.c.id == row.id).values(
        items=None if codes is None else ",".join(sorted(codes))))
    return _client(conn.execute(select(clients).where(clients.c.id == row.id)).one())


def revoke_client(conn: Connection, name: str) -> Client:
    """Revoke the live client of this name at once (its key and any key in its grace period)."""
    row = _live(conn, name)
    if row is None:
        raise _unknown(name)
    conn.execute(update(clients).where(clients.c.id == row.id).values(
        revoked_at=datetime.datetime.now(datetime.UTC)))
    return _client(conn.execute(select(clients).where(clients.c.id == row.id)).one())


def rotate_client(conn: Connection, name: str, grace_hours: float = 24.0) -> tuple[Client, str, Any]:
    """Give the live client of this name a new key; the current one stays valid for ``grace_hours``
    (0: refused at once), then is refused with ``access.key_expired``. Returns the client, the new key
    (shown once) and when the old one stops working. A key replaced earlier is forgotten."""
    if not 0 <= grace_hours <= 24 * 365:
        raise ClientError("clients.grace", f"A grace period of {grace_hours:g} hours: expected 0 to 8760 hours.",
                          field="grace-hours")
    row = _live(conn, name)
    if row is None:
        raise _unknown(name)
    prefix, key = _new_key()
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=grace_hours)
    conn.execute(update(clients).where(clients.c.id == row.id).values(
        key_prefix=prefix, key_hash=_hash(key), previous_key_prefix=row.key_prefix,
        previous_key_hash=row.key_hash, previous_key_until=until))
    return _client(conn.execute(select(clients).where(clients.c.id == row.id)).one()), key, until


def caller_of(conn: Connection, key: str) -> access.Caller | None:
    """What a live client's key admits it to (its :meth:`Client.caller`), or ``None`` for a key that is
    unknown, malformed or revoked — in one query on the driver: the API asks this on every call with
    a key. A key a rotation replaced is admitted until its grace period ends, then refused with
    :class:`ClientError` ``access.key_expired`` (the message says when, and to use the new key)."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "jjj":
        return None
    raw: Any = conn.connection.driver_connection
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    row = raw.execute("SELECT name, services, level, key_hash, items, id FROM clients "
                      f"WHERE key_prefix = {mark} AND revoked_at IS NULL", (parts[1],)).fetchone()
    if row is None:
        return _previous_caller(conn, parts[1], key)
    if not hmac.compare_digest(row[3], _hash(key)):
        return None
    return access.Caller(row[0], frozenset(row[1].split(",")), int(row[2]), items=_items(row[4]), client_id=row[5])


def _previous_caller(conn: Connection, prefix: str, key: str) -> access.Caller | None:
    """The caller of a key a rotation replaced, while its grace period lasts."""
    row = conn.execute(select(clients.c.id, clients.c.name, clients.c.services, clients.c.level,
                              clients.c.previous_key_hash, clients.c.previous_key_until, clients.c["items"]).where(
        clients.c.previous_key_prefix == prefix, clients.c.revoked_at.is_(None))).first()
    if row is None or not hmac.compare_digest(str(row.previous_key_hash), _hash(key)):
        return None
    until = row.previous_key_until
    until = until.replace(tzinfo=datetime.UTC) if until.tzinfo is None else until
    if until <= datetime.datetime.now(datetime.UTC):
        raise ClientError("access.key_expired", f"This API key was replaced by a new one; its grace period ended "
                          f"at {until:%Y-%m-%d %H:%M} UTC. Use the client's new key (ask the platform operator).")
    return access.Caller(str(row.name), frozenset(str(row.services).split(",")), int(row.level),
                         items=_items(row.items), client_id=str(row.id))
