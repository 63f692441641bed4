"""``/verify/batch`` through real HTTP: every item answered as ``POST /verify`` answers it, one
signature over the whole, the body fits the documented schema, the audit entry lists every code
(each once)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jsonschema

from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.core.sharing import verify as verdicts
from jjjcredit.services.library import library
from jjjcredit.services.sharing import audit, evidence
from jjjcredit.storage.engine import make_engine
from tests.services.library import library_files as files
from tests.web.conftest import Server

NAME = "石家庄某某{i}机械制造有限公司"


def _items(codes: list[str]) -> list[dict[str, str]]:
    """A mix of every answer: match, former name, a day asked, mismatch, not found, invalid with
    suggestions, deregistered, revoked, legal representative right and wrong, days written every way."""
    renamed, other = codes[0], codes[3]
    return [
        {"code": other, "name": NAME.format(i=3)},
        {"code": f" {other.lower()} ", "name": "石家庄某某3机械制造有限责任公司"},
        {"code": renamed, "name": NAME.format(i=0)},
        {"code": renamed, "name": NAME.format(i=0), "on": "20230101"},
        {"code": renamed, "name": "保定新名0科技有限公司", "on": "20230101"},
        {"code": other, "name": "别的公司"},
        {"code": files.codes(1, seed=99)[0], "name": "x"},
        {"code": "9135O100M000100Y43", "name": "x"},
        {"code": "x", "name": "y"},
        {"code": codes[5], "name": NAME.format(i=5)},
        {"code": codes[6], "name": NAME.format(i=6), "legal_rep": "张三"},
        {"code": other, "name": NAME.format(i=3), "legal_rep": "张 三"},
        {"code": other, "name": NAME.format(i=3), "legal_rep": "李四"},
        {"code": other, "name": NAME.format(i=3), "on": "2024-2-29"},
        {"code": renamed, "name": NAME.format(i=0), "on": "2023年1月1日"},
    ]


def test_a_batch_answers_each_item_as_a_single_call_does_under_one_signature(database_url: str, server: Server,
                                                                             tmp_path: Path):
    engine = make_engine(database_url)
    ended = [[server.codes[i], NAME.format(i=i), word, "2024-09-01", "张三"] for i, word in ((5, "注销"), (6, "吊销"))]
    library.ingest_file(engine, str(files.write(tmp_path / "ended.csv", ended)), "hebei/market-regulation")
    engine.dispose()
    items = _items(server.codes)
    with server.client("verifier", purpose="batch check") as http:
        singles = [http.post("/api/v1/verify", json=item).json() for item in items]
        response = http.post("/api/v1/verify/batch", json={"items": items})
        keys = evidence.key_map(http.get("/api/v1/keys").json())
        spec = http.get("/openapi.json").json()
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["answers"] == [{k: v for k, v in single.items() if k != "evidence"} for single in singles]
    assert [a["verdict"] for a in body["answers"]] == [
        "match", "match", "former_name", "match", "name_mismatch", "name_mismatch", "not_found", "invalid_code",
        "invalid_code", "deregistered", "revoked", "match", "legal_rep_mismatch", "match", "match"]
    assert body["answers"][7]["suggestions"][0] == "91350100M000100Y43"
    assert [(a.get("status"), a.get("active")) for a in body["answers"][9:11]] == [("4", False), ("3", False)]
    assert [a.get("legal_rep_match") for a in body["answers"][10:13]] == [True, True, False]
    assert body["evidence"]["request"] == {"items": [single["evidence"]["request"] for single in singles]}
    assert body["evidence"]["request"]["items"][0] == {**items[0], "legal_rep": None, "on": None}
    assert [i["on"] for i in body["evidence"]["request"]["items"][-2:]] == ["20240229", "20230101"]  # as understood
    assert signatures.check(body, keys) == body["evidence"]["key_id"]
    documented = spec["paths"]["/api/v1/verify/batch"]["post"]["responses"]["200"]["content"]["application/json"]
    jsonschema.validate(body, {**documented["schema"], "components": spec["components"]})
    assert set(spec["components"]["schemas"]["VerifyAnswer"]["properties"]["verdict"]["enum"]) == \
        set(verdicts.VERDICTS)  # every verdict documented
    entry = _last_entry(database_url, "/api/v1/verify/batch")
    assert entry["codes"] == sorted({a["code"] for a in body["answers"]}) and entry["purpose"] == "batch check"


def test_a_batch_refuses_a_bad_item_or_too_many_in_the_one_error_shape(server: Server):
    with server.client() as http:
        bad = http.post("/api/v1/verify/batch", json={"items": [{"code": "x", "name": "y"},
                                                                {"code": "x", "name": "y", "on": "20230230"}]})
        assert bad.status_code == 422
        errors = [(e["code"], e["field"], e["row"], e["message"]) for e in bad.json()["errors"]]
        assert errors == [("request.invalid", "items.1.on", 1, '"20230230" is not a date that exists: 2023-02 has '
                           "28 days. Check the day against the document it was copied from.")]
        for day in ("2023-1", "1/2/2023", "x" * 41):
            single = http.post("/api/v1/verify", json={"code": "x", "name": "y", "on": day})
            assert single.status_code == 422, day
            [error] = single.json()["errors"]
            assert error["field"] == "on" and "pattern" not in error["message"], error
        assert "is not a full date: expected a year, month and day" in http.post(
            "/api/v1/verify", json={"code": "x", "name": "y", "on": "2023-1"}).json()["errors"][0]["message"]
        missing = http.post("/api/v1/verify/batch", json={"items": [{"code": "x"}]})
        assert [(e["field"], e["row"]) for e in missing.json()["errors"]] == [("items.0.name", 0)]
        too_many = http.post("/api/v1/verify/batch", json={"items": [{"code": "x", "name": "y"}] * 10_001})
        assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "items"
        empty = http.post("/api/v1/verify/batch", json={"items": []}).json()
        assert empty["answers"] == [] and empty["evidence"]["request"] == {"items": []}


def _last_entry(database_url: str, path: str) -> dict[str, Any]:
    """The newest audit entry of ``path`` (the trail is written off the request path: waits for it)."""
    engine = make_engine(database_url)
    deadline = time.monotonic() + 10
    try:
        while True:
            with engine.connect() as conn:
                found = [e for e in audit.iter_entries(conn) if e["path"] == path]
            if found or time.monotonic() > deadline:
                assert found, f"no audit entry for {path}"
                return dict(found[-1])
            time.sleep(0.05)
    finally:
        engine.dispose()
