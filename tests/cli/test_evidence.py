"""``jjjcredit evidence verify FILE`` offline and ``rotate-key``, through a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from jjjcredit.services import db
from jjjcredit.services.sharing import evidence
from jjjcredit.storage.engine import make_engine
from tests.cli.test_codes import run


def test_verify_a_saved_answer(database_url: str, tmp_path: Path):
    engine = make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        body = evidence.sign_answer(conn, {"code": "x", "name": "y"}, {"code": "X", "verdict": "invalid_code"})
        keys = {"keys": evidence.public_keys(conn)}
    engine.dispose()
    answer, key_file = tmp_path / "answer.json", tmp_path / "keys.json"
    answer.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    key_file.write_text(json.dumps(keys), encoding="utf-8")
    ok = run("evidence", "verify", str(answer), "--keys", str(key_file))
    assert ok.returncode == 0 and "verifies" in ok.stderr, ok.stderr
    assert run("evidence", "verify", str(answer), "--db", database_url).returncode == 0
    answer.write_text(json.dumps(body).replace("invalid_code", "match"), encoding="utf-8")
    changed = run("evidence", "verify", str(answer), "--keys", str(key_file))
    assert changed.returncode == 1 and "[evidence.signature]" in changed.stderr
    answer.write_text("{not json", encoding="utf-8")
    assert run("evidence", "verify", str(answer), "--keys", str(key_file)).returncode == 2
    rotated = run("evidence", "rotate-key", "--db", database_url)
    assert rotated.returncode == 0 and rotated.stdout.strip()
    key_file.write_text(json.dumps({"keys": []}), encoding="utf-8")
    answer.write_text(json.dumps(body), encoding="utf-8")
    unknown = run("evidence", "verify", str(answer), "--keys", str(key_file))
    assert unknown.returncode == 1 and "[evidence.unknown_key]" in unknown.stderr
