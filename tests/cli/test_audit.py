"""``jjjcredit audit verify/export`` through a subprocess: exit 0 intact, 1 broken and located."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import delete, update

from jjjcredit.services import db
from jjjcredit.services.sharing import audit, evidence
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import audit as audit_table
from jjjcredit.storage.schema import counters
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


def test_checkpoint_save_and_verify_against_the_saved_file(database_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    engine = make_engine(database_url)
    db.upgrade(engine)
    at = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    with engine.begin() as conn:
        audit.append_entries(conn, [{"at": at + datetime.timedelta(days=i), "request_id": f"r{i}", "client": None,
                                     "service": "verify", "purpose": None, "method": "POST", "path": "/api/v1/verify",
                                     "codes": [], "status": 200, "outcome": "ok", "latency_ms": 2.0}
                                    for i in range(5)])
    without = run("audit", "checkpoint", "--db", database_url)
    assert without.returncode == 2 and without.stderr.startswith("error [evidence.no_secret]")
    monkeypatch.setenv("JJJCREDIT_SIGNING_KEY_SECRET", "test-operator-secret")
    made = run("audit", "checkpoint", "--db", database_url)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["seq"] == 5
    saved = tmp_path / "checkpoints.json"
    exported = run("audit", "checkpoints", "--db", database_url)
    saved.write_text(exported.stdout, encoding="utf-8")
    assert [c["seq"] for c in json.loads(saved.read_text(encoding="utf-8"))] == [5]
    ok = run("audit", "verify", "--checkpoints", str(saved), "--db", database_url)
    assert ok.returncode == 0 and "1 saved checkpoints match" in ok.stderr, ok.stderr
    # the signatures against keys published earlier and saved outside, not the database's own
    with engine.connect() as conn:
        published = evidence.public_keys(conn)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": published}), encoding="utf-8")
    trusted = run("audit", "verify", "--checkpoints", str(saved), "--keys", str(keys), "--db", database_url)
    assert trusted.returncode == 0, trusted.stderr
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    keys.write_text(json.dumps({"keys": [dict(published[0], public_key=other.decode())]}), encoding="utf-8")
    forged = run("audit", "verify", "--checkpoints", str(saved), "--keys", str(keys), "--db", database_url)
    assert forged.returncode == 1 and "entry 5" in forged.stderr and "[audit.chain]" in forged.stderr, forged.stderr
    # the last two entries deleted and the counter lowered: the chain still verifies, the checkpoint does not
    with engine.begin() as conn:
        conn.execute(delete(audit_table).where(audit_table.c.seq > 3))
        conn.execute(update(counters).where(counters.c.name == "audit").values(value=3))
    engine.dispose()
    assert run("audit", "verify", "--db", database_url).returncode == 0
    cut = run("audit", "verify", "--checkpoints", str(saved), "--db", database_url)
    assert cut.returncode == 1 and "entry 4: truncated" in cut.stderr and "[audit.chain]" in cut.stderr
    saved.write_text("not json", encoding="utf-8")
    bad = run("audit", "verify", "--checkpoints", str(saved), "--db", database_url)
    assert bad.returncode == 2 and bad.stderr.startswith("error [audit.checkpoints]")
