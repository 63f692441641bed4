"""``jjjcredit evidence verify FILE`` offline (evidence signed before RFC 8785 included), ``rotate-key``
and ``rekey``, through a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.services import db
from jjjcredit.services.sharing import evidence
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import signing_keys
from tests.cli import command
from tests.cli.test_codes import run

EVIDENCE = Path(__file__).resolve().parents[1] / "data" / "evidence"
SECRET = "cli-operator-secret"


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = command.run(list(args), timeout=120, env={**os.environ, "PYTHONWARNINGS": "error",
                                                       "JJJCREDIT_SIGNING_KEY_SECRET": "",
                                                       "JJJCREDIT_SIGNING_KEY_FILE": "", **env})
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8"),
                                       result.stderr.decode("utf-8"))


def test_verify_a_saved_answer(database_url: str, tmp_path: Path):
    engine = make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        body = evidence.sign_answer(conn, evidence.KeyBox(SECRET), {"code": "x", "name": "y"},
                                    {"code": "X", "verdict": "invalid_code"})
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
    refused = run_with({}, "evidence", "rotate-key", "--db", database_url)
    assert refused.returncode == 2 and "[evidence.no_secret]" in refused.stderr
    rotated = run_with({"JJJCREDIT_SIGNING_KEY_SECRET": SECRET}, "evidence", "rotate-key", "--db", database_url)
    assert rotated.returncode == 0 and rotated.stdout.strip()
    key_file.write_text(json.dumps({"keys": []}), encoding="utf-8")
    answer.write_text(json.dumps(body), encoding="utf-8")
    unknown = run("evidence", "verify", str(answer), "--keys", str(key_file))
    assert unknown.returncode == 1 and "[evidence.unknown_key]" in unknown.stderr


@pytest.mark.parametrize("saved", ["v1_verify.json", "v1_verify_batch.json", "v1_numbers.json"])
def test_evidence_signed_before_rfc_8785_still_verifies(saved: str, tmp_path: Path):
    keys = str(EVIDENCE / "v1_keys.json")
    ok = run("evidence", "verify", str(EVIDENCE / saved), "--keys", keys)
    assert ok.returncode == 0 and "verifies" in ok.stderr, ok.stderr
    body = json.loads((EVIDENCE / saved).read_text(encoding="utf-8"))
    assert "version" not in body["evidence"]
    body["evidence"]["version"] = 2  # the same bytes read as RFC 8785 differ where numbers are written
    (tmp_path / saved).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    relabelled = run("evidence", "verify", str(tmp_path / saved), "--keys", keys)
    assert relabelled.returncode == (1 if saved == "v1_numbers.json" else 0), relabelled.stderr


def _stored(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = {k: v for k, v in conn.execute(select(signing_keys.c.id, signing_keys.c.private_key))}
    engine.dispose()
    return stored


def test_rekey_seals_every_key_under_the_new_secret(database_url: str, tmp_path: Path):
    engine = make_engine(database_url)
    db.upgrade(engine)
    old_box = evidence.KeyBox(SECRET)
    with engine.begin() as conn:
        body = evidence.sign_answer(conn, old_box, {"code": "x", "name": "y"}, {"code": "X", "verdict": "match"})
        evidence.rotate_key(conn, old_box)
        clear = signatures.new_private_key()  # and one stored in clear, as before sealing
        conn.execute(signing_keys.insert().values(id="20200101-0000aaaa", algorithm="Ed25519",
                                                  public_key=signatures.public_pem(clear),
                                                  private_key=signatures.private_pem(clear),
                                                  created_at=conn.execute(select(signing_keys.c.created_at))
                                                  .scalars().first()))
    engine.dispose()
    before = _stored(database_url)
    new_file = tmp_path / "new-secret"
    new_file.write_text("a new operator secret\n", encoding="utf-8")
    wrong = run_with({"JJJCREDIT_SIGNING_KEY_SECRET": "not the secret"}, "evidence", "rekey",
                     "--new-secret-file", str(new_file), "--db", database_url)
    assert wrong.returncode == 2 and "[evidence.bad_secret]" in wrong.stderr and _stored(database_url) == before
    old_file = tmp_path / "old-secret"
    old_file.write_text(SECRET + "\n", encoding="utf-8")
    done = run_with({"JJJCREDIT_SIGNING_KEY_FILE": str(old_file)}, "evidence", "rekey",
                    "--new-secret-file", str(new_file), "--db", database_url)
    assert done.returncode == 0 and "3 signing keys" in done.stderr, done.stderr
    after = _stored(database_url)
    new_box, stale = evidence.KeyBox("a new operator secret"), evidence.KeyBox(SECRET)
    for key_id, sealed in after.items():
        assert sealed.startswith(signatures.SEALED) and sealed != before[key_id]
        assert signatures.private_pem(new_box.private_key(key_id, sealed)) == \
            signatures.private_pem(stale.private_key(key_id, before[key_id]))
        with pytest.raises(signatures.SecretError):
            evidence.KeyBox(SECRET).private_key(key_id, sealed)
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    assert run("evidence", "verify", str(answer), "--db", database_url).returncode == 0
    rotated = run_with({"JJJCREDIT_SIGNING_KEY_SECRET": "a new operator secret"}, "evidence", "rotate-key",
                       "--db", database_url)
    assert rotated.returncode == 0, rotated.stderr
