"""Evidence: signing verification answers (core/sharing/evidence.py) with the current Ed25519 key, created on
first use; rotation; the published public keys, retired ones included, so old answers still verify.

Private keys are stored sealed under the operator's secret (:class:`evidence.KeyBox`): every function
that signs or makes a key takes the box, and without one refuses with ``evidence.no_secret``. Keys
stored in clear by an earlier version are sealed by :func:`seal_clear_keys` (the server does it when it
starts with a secret); :func:`rekey` seals every key under a new secret.

Every answer reads which key is current (a rotation by ``jjjcredit evidence rotate-key`` holds from
the next answer on, in every worker) and the library's sequence, in one plain query; a key's private
half is opened once per process (in the box).
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
from jjjcredit.storage.schema import personal_keys, signing_keys

KeyBox = evidence.KeyBox


def _box(box: KeyBox | None) -> KeyBox:
    if box is None:
        raise evidence.SecretError("evidence.no_secret", evidence.NO_SECRET)
    return box


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _create_key(conn: Connection, box: KeyBox) -> str:
    key = evidence.new_private_key()
    now = _now()
    key_id = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
    sealed = box.seal(key_id, evidence.private_pem(key))
    conn.execute(insert(signing_keys).values(id=key_id, algorithm=evidence.ALGORITHM,
                                             public_key=evidence.public_pem(key),
                                             private_key=sealed, created_at=now))
    return key_id


#: The current key's id and the library's sequence, in one read (plain SQL: it runs for every answer).
_CURRENT = ("SELECT id, (SELECT value FROM counters WHERE name = 'feed') FROM signing_keys "
            "WHERE retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1")


def _private(conn: Connection, box: KeyBox, key_id: str) -> Any:
    key = box.opened(key_id)
    if key is None:
        stored = conn.execute(select(signing_keys.c.private_key).where(signing_keys.c.id == key_id)).scalar_one()
        key = box.private_key(key_id, str(stored))
    return key


def signing_state(conn: Connection, box: KeyBox | None) -> tuple[str, Any, int]:
    """The newest key not retired (created now if there is none) — its id and private key — and the
    library's change-feed sequence. Without the operator's secret: :class:`evidence.SecretError`."""
    box = _box(box)
    row = conn.exec_driver_sql(_CURRENT).first()
    if row is None:
        key_id = _create_key(conn, box)
        return key_id, _private(conn, box, key_id), library_seq(conn)
    return str(row[0]), _private(conn, box, str(row[0])), int(row[1])


def current_key(conn: Connection, box: KeyBox | None) -> tuple[str, Any]:
    """The newest key not retired (created now if there is none): its id and private key."""
    key_id, key, _seq = signing_state(conn, box)
    return key_id, key


def rotate_key(conn: Connection, box: KeyBox | None) -> str:
    """Retire every current key and create a new one; returns the new key's id. Retired keys stay
    published: answers they signed still verify."""
    box = _box(box)
    conn.execute(update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=_now()))
    return _create_key(conn, box)


def clear_keys(conn: Connection) -> int:
    """How many private keys are stored in clear (by a version before sealing)."""
    rows = conn.execute(select(signing_keys.c.private_key))
    return sum(not evidence.is_sealed(stored) for (stored,) in rows)


def seal_clear_keys(conn: Connection, box: KeyBox) -> int:
    """Seal every private key stored in clear under the operator's secret; returns how many."""
    rows = conn.execute(select(signing_keys.c.id, signing_keys.c.private_key)).all()
    clear = [(key_id, stored) for key_id, stored in rows if not evidence.is_sealed(stored)]
    for key_id, pem in clear:
        evidence.load_private(pem)  # a key that does not parse stops it: nothing is changed
        conn.execute(update(signing_keys).where(signing_keys.c.id == key_id)
                     .values(private_key=box.seal(key_id, pem)))
    return len(clear)


def rekey(conn: Connection, old: KeyBox | None, new: KeyBox) -> int:
    """Seal every private key under ``new``: each is opened with ``old`` (keys in clear need none) and
    sealed again, all in the caller's transaction; returns how many keys. A key ``old`` cannot open
    stops it (:class:`evidence.SecretError`) before anything is written."""
    rows = conn.execute(select(signing_keys.c.id, signing_keys.c.private_key)).all()
    resealed = []
    for key_id, stored in rows:
        if evidence.is_sealed(stored):
            pem = _box(old).open(key_id, stored)
        else:
            pem = stored
        evidence.load_private(pem)
        resealed.append((key_id, new.seal(key_id, pem)))
    data_keys = [(key_id, new.seal_bytes(key_id, _box(old).open_bytes(key_id, stored)))
                 for key_id, stored in conn.execute(select(personal_keys.c.id, personal_keys.c.sealed)).all()]
    for key_id, sealed in resealed:
        conn.execute(update(signing_keys).where(signing_keys.c.id == key_id).values(private_key=sealed))
    for key_id, sealed in data_keys:  # the personal data key (services/sharing/personal_keys.py) too
        conn.execute(update(personal_keys).where(personal_keys.c.id == key_id).values(sealed=sealed))
    return len(resealed)


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


def sign_answer(conn: Connection, box: KeyBox | None, request: Any, answer: Mapping[str, Any]) -> dict[str, Any]:
    """The answer as served — exactly as it reads back from JSON — with its ``evidence`` object,
    signed now, at the library's current sequence."""
    body: dict[str, Any] = json.loads(json.dumps(answer, ensure_ascii=False, default=str))
    request = json.loads(json.dumps(request, ensure_ascii=False, default=str))
    key_id, key, seq = signing_state(conn, box)
    body["evidence"] = evidence.sign(key, key_id, request, body, seq, audit_chain.format_time(_now()))
    return body
