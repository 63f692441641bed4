"""Evidence through real HTTP: a saved answer verifies offline against a saved copy of /api/v1/keys;
a changed byte fails with the reason; after a rotation old answers still verify."""

from __future__ import annotations

import json

import pytest

from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.services.sharing import evidence
from jjjcredit.storage.engine import make_engine
from tests.web.conftest import Server


def _keys(server: Server) -> dict[str, str]:
    with server.client() as http:
        return evidence.key_map(http.get("/api/v1/keys").json())


def test_a_saved_answer_verifies_offline_and_a_changed_byte_does_not(server: Server):
    code = server.codes[3]
    with server.client("verifier") as http:
        saved = http.post("/api/v1/verify", json={"code": code, "name": "石家庄某某3机械制造有限公司"}).text
        batch = http.post("/api/v1/verify/batch", json={"items": [{"code": code, "name": "x"}]}).text
    keys = _keys(server)
    answer = json.loads(saved)
    assert answer["verdict"] == "match" and answer["evidence"]["algorithm"] == "Ed25519"
    assert answer["evidence"]["request"]["code"] == code and answer["evidence"]["library_seq"] > 0
    assert signatures.check(answer, keys) == answer["evidence"]["key_id"]
    assert signatures.check(json.loads(batch), keys) == answer["evidence"]["key_id"]
    tampered = json.loads(saved.replace('"match"', '"former_name"'))
    with pytest.raises(signatures.EvidenceError) as caught:
        signatures.check(tampered, keys)
    assert caught.value.code == "evidence.signature"


def test_after_rotation_old_answers_still_verify(database_url: str, server: Server):
    with server.client() as http:
        old = http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"}).json()
        engine = make_engine(database_url)
        with engine.begin() as conn:
            new_id = evidence.rotate_key(conn)
        engine.dispose()
        new = http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"}).json()
        published = http.get("/api/v1/keys").json()["keys"]
    assert new["evidence"]["key_id"] == new_id != old["evidence"]["key_id"]
    assert [k["retired_at"] is None for k in published] == [False, True]
    keys = evidence.key_map({"keys": published})
    assert signatures.check(old, keys) == old["evidence"]["key_id"]
    assert signatures.check(new, keys) == new_id
