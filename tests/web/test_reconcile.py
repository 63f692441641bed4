"""Reconciliation (W3C reconciliation API 0.2) over real HTTP; every answer validated against the
published JSON Schemas (tests/data/reconciliation-0.2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.web.conftest import Server


@pytest.fixture
def schemas(testdata: Path) -> dict[str, Draft7Validator]:
    folder = testdata / "reconciliation-0.2"
    loaded = {p.stem: json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")}
    used = {"manifest", "reconciliation-query-batch", "reconciliation-result-batch", "suggest-entities-response",
            "suggest-properties-response", "suggest-types-response"}
    assert used <= loaded.keys(), f"missing from {folder}: {sorted(used - loaded.keys())}"
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7)) for s in loaded.values() if "$id" in s)
    return {name: Draft7Validator(s, registry=registry) for name, s in loaded.items()}


def _valid(validator: Draft7Validator, data: Any) -> Any:
    errors = [e.message for e in validator.iter_errors(data)]
    assert not errors, errors
    return data


def test_manifest(server: Server, schemas):
    with server.client() as http:
        manifest = _valid(schemas["manifest"], http.get("/reconcile").json())
    assert "0.2" in manifest["versions"] and "{{id}}" in manifest["preview"]["url"]


def test_query_batches_by_post_and_get(server: Server, schemas):
    code = server.codes[4]
    batch = {"q0": {"query": "石家庄某某4机械制造有限责任公司"}, "q1": {"query": "某某4机械制造有限公司", "limit": 2},
             "q2": {"query": "石家庄某某", "properties": [{"pid": "status", "v": "注销"}]}}
    _valid(schemas["reconciliation-query-batch"], batch)
    with server.client() as http:
        posted = _valid(schemas["reconciliation-result-batch"],
                        http.post("/reconcile", data={"queries": json.dumps(batch)}).json())
        got = http.get("/reconcile", params={"queries": json.dumps(batch)}).json()
    assert posted == got
    first = posted["q0"]["result"][0]
    assert (first["id"], first["match"], first["score"]) == (code, True, 100.0)
    assert posted["q1"]["result"][0]["id"] == code and len(posted["q1"]["result"]) == 2
    assert posted["q2"]["result"] == []


def test_bad_batches_answer_in_the_one_error_shape(server: Server):
    with server.client() as http:
        for response in (http.post("/reconcile", data={"queries": "{not json"}),
                         http.post("/reconcile", data={"other": "1"}),
                         http.get("/reconcile", params={"queries": "[1]"})):
            assert response.status_code == 400
            assert response.json()["errors"][0]["code"] == "reconcile.bad_queries"


@pytest.mark.parametrize("query", ['{"query": "石家庄", "limit": 1e999}', '{"query": "石家庄", "limit": NaN}',
                                   '{"query": "石家庄", "limit": -Infinity}', '{"query": "石家庄", "properties": 5}',
                                   '{"query": "石家庄", "properties": {"pid": "status"}}'],
                         ids=["limit-overflow", "limit-nan", "limit-infinity", "properties-number",
                              "properties-object"])
def test_a_query_of_the_wrong_shape_is_refused_before_any_is_answered(server: Server, query: str):
    """Python's JSON reader takes 1e999, NaN and Infinity; no limit or property list of that shape is answered
    (each was a 500)."""
    with server.client() as http:
        response = http.post("/reconcile", data={"queries": f'{{"q0": {{"query": "石家庄"}}, "q1": {query}}}'})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert (error["code"], error["field"]) == ("reconcile.bad_queries", "queries") and '"q1"' in error["message"]


def test_preview_and_suggest(server: Server, schemas):
    code = server.codes[5]
    with server.client() as http:
        preview = http.get(f"/reconcile/preview/{code}")
        assert preview.status_code == 200 and "石家庄某某5机械制造有限公司" in preview.text
        assert preview.headers["content-type"].startswith("text/html")
        entities = _valid(schemas["suggest-entities-response"],
                          http.get("/reconcile/suggest/entity", params={"prefix": "石家庄某某5"}).json())
        assert entities["result"][0]["id"] == code
        _valid(schemas["suggest-types-response"], http.get("/reconcile/suggest/type", params={"prefix": "o"}).json())
        props = _valid(schemas["suggest-properties-response"],
                       http.get("/reconcile/suggest/property", params={"prefix": "stat"}).json())
        assert [p["id"] for p in props["result"]] == ["status"]
