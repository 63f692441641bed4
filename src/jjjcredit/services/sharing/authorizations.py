"""Authorizations kept: a subject's consent for one application party (core/sharing/authorizations.py
checks the terms and every query). Recorded by the platform's staff from the signed form, whose
place is kept as ``proof``; revoked, never deleted. A natural person is named by the keyed hash of the
identity number, never by the number. What an authorization opens is decided in
services/sharing/disclosure.py, which asks :func:`authorized_items` on every authorized query.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jjjcredit.core.credit import persons
from jjjcredit.core.sharing.authorizations import Authorization, AuthorizationError, check_authorization, check_terms
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import records as credit_records
from jjjcredit.storage.schema import authorizations


def _authorization(row: Any) -> Authorization:
    return Authorization(row.id, row.subject_key, row.party, row.purpose,
                         frozenset(i for i in row.items.split(",") if i),
                         datetime.date.fromisoformat(row.valid_from), datetime.date.fromisoformat(row.valid_until),
                         row.proof, datetime.date.fromisoformat(row.revoked_on) if row.revoked_on else None)


def add_authorization(conn: Connection, code: str, party: str, purpose: str, items: Iterable[str],
                      valid_from: datetime.date, valid_until: datetime.date, proof: str, by: str,
                      protector: persons.Protector | None) -> Authorization:
    """Record a subject's authorization (``code``: a unified social credit code, an identity number or
    a subject key), its terms checked against the catalogue in force."""
    known = [i.code for i in credit_items.items_of(conn)]
    chosen = check_terms(party, purpose, items, valid_from, valid_until, proof, known)
    if not by.strip():
        raise AuthorizationError("authorization.terms", "Recording an authorization needs who records it.",
                                 field="by")
    found = Authorization(uuid.uuid4().hex, credit_records.subject_key_of(code, protector), party.strip(),
                          purpose.strip(), chosen, valid_from, valid_until, proof.strip())
    conn.execute(insert(authorizations).values(
        id=found.id, subject_key=found.subject_key, party=found.party, purpose=found.purpose,
        items=",".join(sorted(found.items)), valid_from=valid_from.isoformat(), valid_until=valid_until.isoformat(),
        proof=found.proof, created_by=by.strip(), created_at=datetime.datetime.now(datetime.UTC)))
    return found


def get_authorization(conn: Connection, authorization_id: str) -> Authorization | None:
    row = conn.execute(select(authorizations).where(authorizations.c.id == authorization_id.strip())).first()
    return _authorization(row) if row is not None else None


def revoke_authorization(conn: Connection, authorization_id: str, reason: str, on: datetime.date) -> Authorization:
    """Revoke an authorization from ``on``: every query from that day is refused."""
    found = get_authorization(conn, authorization_id)
    if found is None:
        raise AuthorizationError("authorization.missing", f'No authorization has the id "{authorization_id[:40]}".',
                                 field="authorization")
    if found.revoked_on is not None:
        raise AuthorizationError("authorization.revoked", f"Authorization {found.id} was revoked on "
                                 f"{found.revoked_on.isoformat()} already.", field="authorization")
    if not reason.strip():
        raise AuthorizationError("authorization.terms", "Revoking an authorization needs its reason.", field="reason")
    conn.execute(update(authorizations).where(authorizations.c.id == found.id)
                 .values(revoked_on=on.isoformat(), revoked_reason=reason.strip()))
    return dataclasses.replace(found, revoked_on=on)


def list_authorizations(conn: Connection, code: str, protector: persons.Protector | None) -> list[Authorization]:
    """A subject's authorizations, the newest validity first."""
    key = credit_records.subject_key_of(code, protector)
    rows = conn.execute(select(authorizations).where(authorizations.c.subject_key == key)
                        .order_by(authorizations.c.valid_from.desc(), authorizations.c.id))
    return [_authorization(r) for r in rows]


def authorized_items(conn: Connection, authorization_id: str, party: str | None, subject_key: str,
                     today: datetime.date, items: Iterable[str] = ()) -> frozenset[str]:
    """The items an authorized query may read (core/sharing/authorizations.check_authorization), or
    its refusal: asked on every authorized query."""
    return check_authorization(get_authorization(conn, authorization_id), party, subject_key, today, items)


def to_dict(found: Authorization) -> dict[str, Any]:
    return {"id": found.id, "subject": found.subject_key, "party": found.party, "purpose": found.purpose,
            "items": sorted(found.items), "valid_from": found.valid_from.isoformat(),
            "valid_until": found.valid_until.isoformat(), "proof": found.proof,
            "revoked_on": found.revoked_on.isoformat() if found.revoked_on else None}
