"""Evidence through real HTTP: a saved answer verifies offline against a saved copy of /api/v1/keys —
with this package, and with an RFC 8785 implementation and an Ed25519 library that share no code
with it; a changed byte fails with the reason; after a rotation old answers still verify; the private
keys in the database are sealed; a server without the operator's secret signs nothing and says why."""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import replace

import httpx
import jcs
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import select

from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.services import db
from jjjcredit.services.sharing import evidence
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import signing_keys
from jjjcredit.web.app import create_app
from tests.web.conftest import SECRET, Server, serving


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
            new_id = evidence.rotate_key(conn, evidence.KeyBox(SECRET))
        engine.dispose()
        new = http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"}).json()
        published = http.get("/api/v1/keys").json()["keys"]
    assert new["evidence"]["key_id"] == new_id != old["evidence"]["key_id"]
    assert [k["retired_at"] is None for k in published] == [False, True]
    keys = evidence.key_map({"keys": published})
    assert signatures.check(old, keys) == old["evidence"]["key_id"]
    assert signatures.check(new, keys) == new_id


def _independently_verified(body: dict[str, object], published: list[dict[str, str]]) -> bool:
    """The check a third party makes: RFC 8785 of the five signed fields (the ``jcs`` package), the
    PEM key of /api/v1/keys and Ed25519 (``cryptography``'s own, no code of this package)."""
    saved = dict(body)
    ev = saved.pop("evidence")
    assert isinstance(ev, dict) and ev["version"] == 2
    message = jcs.canonicalize({"request": ev["request"], "answer": saved, "library_seq": ev["library_seq"],
                                "time": ev["time"], "key_id": ev["key_id"]})
    pem = next(k["public_key"] for k in published if k["key_id"] == ev["key_id"])
    key = load_pem_public_key(pem.encode("ascii"))
    try:
        key.verify(base64.b64decode(ev["signature"]), message)  # type: ignore[union-attr]
    except Exception:
        return False
    return True


def test_an_answer_checks_with_an_independent_rfc_8785_implementation(server: Server):
    code = server.codes[2]
    with server.client("verifier") as http:
        single = http.post("/api/v1/verify", json={"code": code, "name": "石家庄某某2机械制造有限公司",
                                                   "legal_rep": "张\t三\u0001"}).json()
        batch = http.post("/api/v1/verify/batch", json={"items": [
            {"code": code, "name": "x"}, {"code": "91110000X", "name": "🀄 \"名\" \ue000"}]}).json()
        published = http.get("/api/v1/keys").json()["keys"]
    assert single["verdict"] == "legal_rep_mismatch" and batch["answers"][1]["verdict"] == "invalid_code"
    assert _independently_verified(single, published) and _independently_verified(batch, published)
    single["verdict"] = "match"
    assert not _independently_verified(single, published)


def test_the_private_keys_in_the_database_are_sealed(database_url: str, server: Server):
    with server.client() as http:
        http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"})
        published = http.get("/api/v1/keys").json()["keys"]
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(select(signing_keys.c.id, signing_keys.c.private_key)).all()
    engine.dispose()
    assert [key_id for key_id, _ in stored] == [k["key_id"] for k in published]
    for key_id, private in stored:
        assert private.startswith(signatures.SEALED) and "PRIVATE KEY" not in private
        assert base64.b64encode(signatures.private_pem(signatures.KeyBox(SECRET).private_key(key_id, private))
                                .encode()) not in private.encode()


def test_a_server_without_the_secret_refuses_to_sign_and_the_rest_works(database_url: str, server: Server):
    with server.client() as http:
        http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"})  # a key exists
    app = create_app(replace(Settings(), database_url=database_url, signing_key_secret=None))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        single = http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"})
        batch = http.post("/api/v1/verify/batch", json={"items": [{"code": server.codes[1], "name": "x"}]})
        keys = http.get("/api/v1/keys")
        lookup = http.get(f"/api/v1/organizations/{server.codes[1]}")
    for refused in (single, batch):
        assert refused.status_code == 503, refused.text
        error = refused.json()["errors"][0]
        assert error["code"] == "evidence.no_secret" and "JJJCREDIT_SIGNING_KEY_SECRET" in error["message"]
    assert keys.status_code == 200 and len(keys.json()["keys"]) == 1
    assert lookup.status_code == 200
    wrong = create_app(replace(Settings(), database_url=database_url, signing_key_secret="another secret"))
    with serving(wrong) as url, httpx.Client(base_url=url, timeout=30) as http:
        refused = http.post("/api/v1/verify", json={"code": server.codes[1], "name": "x"})
    assert refused.status_code == 503 and refused.json()["errors"][0]["code"] == "evidence.bad_secret"


def test_keys_stored_in_clear_are_sealed_when_a_server_starts_with_the_secret(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    clear = signatures.new_private_key()
    with engine.begin() as conn:  # as an earlier version stored it
        conn.execute(signing_keys.insert().values(
            id="20250101-0000aaaa", algorithm="Ed25519", public_key=signatures.public_pem(clear),
            private_key=signatures.private_pem(clear), created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)))
    app = create_app(replace(Settings(), database_url=database_url, signing_key_secret=SECRET))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        answer = http.post("/api/v1/verify", json={"code": "x", "name": "y"}).json()
        published = http.get("/api/v1/keys").json()["keys"]
    with engine.connect() as conn:
        stored = conn.execute(select(signing_keys.c.private_key)).scalar_one()
    engine.dispose()
    assert stored.startswith(signatures.SEALED)
    assert answer["evidence"]["key_id"] == "20250101-0000aaaa" and _independently_verified(answer, published)
