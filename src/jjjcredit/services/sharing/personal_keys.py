"""The personal data key: 32 random bytes made on first use, stored sealed under the operator's
secret (the evidence keys' box, rekeyed with them), opened once per process into a
:class:`persons.Protector` — the keyed hash that finds a natural person and the seal of their
identity number (core/credit/persons.py). Without the operator's secret there is none, and records of
natural persons are refused rather than kept in clear."""

from __future__ import annotations

import datetime
import os
import weakref

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from jjjcredit.core.credit import persons
from jjjcredit.core.sharing import evidence
from jjjcredit.storage.schema import personal_keys

KEY_ID = "personal-v1"
_OPENED: weakref.WeakKeyDictionary[evidence.KeyBox, tuple[str, persons.Protector]] = weakref.WeakKeyDictionary()


def protector(conn: Connection, box: evidence.KeyBox | None) -> persons.Protector | None:
    """The platform's protector, the key made (in the caller's transaction) on first use; ``None``
    without the operator's secret. A secret that does not open the stored key raises ``evidence.bad_secret``."""
    if box is None:
        return None
    query = select(personal_keys.c.sealed).where(personal_keys.c.id == KEY_ID)
    stored = conn.execute(query).scalar_one_or_none()
    if stored is None:  # made once: two first uses at the same time keep the one written first
        made = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(personal_keys)
        conn.execute(made.values(id=KEY_ID, sealed=box.seal_bytes(KEY_ID, os.urandom(32)),
                                 created_at=datetime.datetime.now(datetime.UTC)).on_conflict_do_nothing())
        stored = conn.execute(query).scalar_one()
    cached = _OPENED.get(box)
    if cached is None or cached[0] != stored:
        cached = _OPENED[box] = (stored, persons.Protector(box.open_bytes(KEY_ID, stored)))
    return cached[1]
