"""``jjjcredit audit verify/export`` through a subprocess: exit 0 intact, 1 broken and located."""

from __future__ import annotations

import datetime
import json

from sqlalchemy import update

from jjjcredit.services import db
from jjjcredit.services.sharing import audit
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import audit as audit_table
from tests.cli.test_codes import run


def test_verify_and_export(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    at = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    with engine.begin() as conn:
        audit.append_entries(conn, [{"at": at + datetime.timedelta(days=i), "request_id": f"r{i}", "client": None,
                                     "service": "verify", "purpose": None, "method": "POST", "path": "/api/v1/verify",
                                     "codes": [], "status": 200, "outcome": "ok", "latency_ms": 2.0}
                                    for i in range(5)])
    ok = run("audit", "verify", "--db", database_url)
    assert ok.returncode == 0 and "intact: 5 entries" in ok.stderr
    exported = run("audit", "export", "--since", "2026-02-03", "--db", database_url)
    assert exported.returncode == 0
    assert [json.loads(line)["seq"] for line in exported.stdout.splitlines()] == [3, 4, 5]
    assert run("audit", "export", "--since", "yesterday", "--db", database_url).returncode == 2
    with engine.begin() as conn:
        conn.execute(update(audit_table).where(audit_table.c.seq == 2).values(status=404))
    engine.dispose()
    broken = run("audit", "verify", "--db", database_url)
    assert broken.returncode == 1 and "entry 2: edited" in broken.stderr and "[audit.chain]" in broken.stderr
