"""Evidence: signing verification answers (core/sharing/evidence.py) with the current Ed25519 key, created on
first use; rotation; the published public keys, retired ones included, so old answers still verify.

Every answer reads which key is current (a rotation by ``jjjcredit evidence rotate-key`` holds from
the next answer on, in every worker) and the library's sequence, in one plain query; a key's private
half is parsed once per process.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jjjcredit.core.sharing import audit as audit_chain
from jjjcredit.core.sharing import evidence
from jjjcredit.storage.schema import signing_keys

_loaded: dict[str, Any] = {}  # key id → private key object: parsing PEM once per process


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _create_key(conn: Connection) -> str:
    key = evidence.new_private_key()
    now = _now()
    key_id = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
    conn.execute(insert(signing_keys).values(id=key_id, algorithm=evidence.ALGORITHM,
                                             public_key=evidence.public_pem(key),
                                             private_key=evidence.private_pem(key), created_at=now))
    _loaded[key_id] = key
    return key_id


#: The current key's id and the library's sequence, in one read (plain SQL: it runs for every answer).
_CURRENT = ("SELECT id, (SELECT value FROM counters WHERE name = 'feed') FROM signing_keys "
            "WHERE retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1")


def _private(conn: Connection, key_id: str) -> Any:
    key = _loaded.get(key_id)
    if key is None:
        pem = conn.execute(select(signing_keys.c.private_key).where(signing_keys.c.id == key_id)).scalar_one()
        key = _loaded[key_id] = evidence.load_private(pem)
    return key


def signing_state(conn: Connection) -> tuple[str, Any, int]:
    """The newest key not retired (created now if there is none) — its id and private key — and the
    library's change-feed sequence."""
    row = conn.exec_driver_sql(_CURRENT).first()
    if row is None:
        key_id = _create_key(conn)
        return key_id, _loaded[key_id], library_seq(conn)
    return str(row[0]), _private(conn, str(row[0])), int(row[1])


def current_key(conn: Connection) -> tuple[str, Any]:
    """The newest key not retired (created now if there is none): its id and private key."""
    key_id, key, _seq = signing_state(conn)
    return key_id, key


def rotate_key(conn: Connection) -> str:
    """Retire every current key and create a new one; returns the new key's id. Retired keys stay
    published: answers they signed still verify."""
    conn.execute(update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=_now()))
    return _create_key(conn)


def public_keys(conn: Connection) -> list[dict[str, Any]]:
    """Every key, oldest first: id, algorithm, PEM public key, created and retired times (never private keys)."""
    rows = conn.execute(select(signing_keys.c.id, signing_keys.c.algorithm, signing_keys.c.public_key,
                               signing_keys.c.created_at, signing_keys.c.retired_at)
                        .order_by(signing_keys.c.created_at, signing_keys.c.id))
    return [{"key_id": r.id, "algorithm": r.algorithm, "public_key": r.public_key,
             "created_at": audit_chain.format_time(r.created_at),
             "retired_at": audit_chain.format_time(r.retired_at) if r.retired_at else None} for r in rows]


def key_map(keys: Any) -> dict[str, str]:
    """key id → PEM, from the body of ``/api/v1/keys`` (``{"keys": [...]}``) or its list."""
    items = keys.get("keys") if isinstance(keys, dict) else keys
    if not isinstance(items, list):
        raise evidence.EvidenceError("evidence.malformed", 'The keys hold no "keys" list: save the body of '
                                     "/api/v1/keys.")
    return {str(k["key_id"]): str(k["public_key"]) for k in items if isinstance(k, dict) and "key_id" in k}


def library_seq(conn: Connection) -> int:
    """The library's change-feed sequence the answer was given at."""
    return int(conn.exec_driver_sql("SELECT value FROM counters WHERE name = 'feed'").scalar_one())


def sign_answer(conn: Connection, request: Any, answer: Mapping[str, Any]) -> dict[str, Any]:
    """The answer as served — exactly as it reads back from JSON — with its ``evidence`` object,
    signed now, at the library's current sequence."""
    body: dict[str, Any] = json.loads(json.dumps(answer, ensure_ascii=False, default=str))
    request = json.loads(json.dumps(request, ensure_ascii=False, default=str))
    key_id, key, seq = signing_state(conn)
    body["evidence"] = evidence.sign(key, key_id, request, body, seq, audit_chain.format_time(_now()))
    return body
