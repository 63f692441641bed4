"""A node's state hash (core/federation/state.py) over what the nodes share: every organization by code with
the elements government sharing carries (a level-3 element stays with its node), every credit record version
with its status and values. Three nodes that applied each other's changes say the same hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from jjjcredit.core.exchange import rows
from jjjcredit.core.federation import state
from jjjcredit.services.exchange import exchange
from jjjcredit.services.sharing import disclosure
from jjjcredit.storage.schema import credit_record_versions, credit_records, organizations


def columns() -> tuple[str, ...]:
    """The organization columns hashed: the government view's, as a federation package carries them."""
    caller = exchange.audience_caller("government", "state")
    return tuple(rows.columns_of("organizations", disclosure.view_of(caller).elements))


def state_of(conn: Connection) -> dict[str, Any]:
    """The state hash, and the counts it covers."""
    names = columns()
    orgs = [dict(r) for r in conn.execute(select(*(organizations.c[n] for n in names))).mappings()]
    r, v = credit_records.c, credit_record_versions.c
    versions = [(str(i), int(n), str(s), d) for i, n, s, d in conn.execute(select(r.id, r.version, r.status, r.data))]
    versions += [(str(i), int(n), str(s), d) for i, n, s, d in
                 conn.execute(select(v.record_id, v.version, v.status, v.data))]
    return {"state": state.state_hash(orgs, versions), "organizations": len(orgs),
            "credit_records": len({v[0] for v in versions}), "credit_versions": len(versions)}
