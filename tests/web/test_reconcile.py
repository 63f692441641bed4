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
    assert (error["code"], error["field"]) == ("reconcile.bad_queries", "queries")
    assert '"q1"' in error["message"] or "NaN" in error["message"] or "Infinity" in error["message"], error


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


# A batch as sent on the wire (raw JSON text: NaN and Infinity are what some encoders write), the code
# and the field of the answer.
BROKEN = {
    "limit NaN": ('{"q0": {"query": "石家庄", "limit": NaN}}', "reconcile.bad_queries", "queries"),
    "limit Infinity": ('{"q0": {"query": "石家庄", "limit": Infinity}}', "reconcile.bad_queries", "queries"),
    "limit -Infinity": ('{"q0": {"query": "石家庄", "limit": -Infinity}}', "reconcile.bad_queries", "queries"),
    "limit 1e400": ('{"q0": {"query": "石家庄", "limit": 1e400}}', "reconcile.bad_queries", "queries"),
    "limit of 400 digits": ('{"q0": {"query": "石家庄", "limit": 1' + "0" * 400 + "}}", None, None),
    "limit of 5,000 digits": ('{"q0": {"query": "石家庄", "limit": 1' + "0" * 5000 + "}}", "reconcile.bad_queries",
                              "queries"),
    "lone surrogate in a query": ('{"q0": {"query": "\\ud800abc"}}', "request.bad_characters", "queries.q0.query"),
    "lone surrogate in a key": ('{"\\udc00": {"query": "abc"}}', "request.bad_characters", "queries"),
    "NUL in a property": ('{"q0": {"query": "abc", "properties": [{"pid": "status", "v": "\\u0000"}]}}',
                          "request.bad_characters", "queries.q0.properties.0.v"),
    "nested 1,000 deep": ('{"q0": {"query": "abc", "x": ' + "[" * 1000 + "]" * 1000 + "}}", "request.too_deep",
                          "queries"),
}


@pytest.mark.parametrize("method", ["POST form", "GET"])
@pytest.mark.parametrize("case", BROKEN)
def test_a_batch_no_query_can_be_answered_from_is_a_4xx_in_the_one_shape(server: Server, case: str, method: str):
    queries, code, field = BROKEN[case]
    with server.client() as http:
        response = (http.post("/reconcile", data={"queries": queries}) if method == "POST form"
                    else http.get("/reconcile", params={"queries": queries}))
    if code is None:  # a whole number however large: as many results as are given
        assert response.status_code == 200 and response.json()["q0"]["result"], response.text
        return
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"]) == (code, field)
    assert "\ufffd" not in error["message"] and error["message"].endswith(".")


def test_a_limit_is_said_to_be_a_finite_number(server: Server):
    with server.client() as http:
        error = http.get("/reconcile", params={"queries": '{"q0": {"query": "x", "limit": NaN}}'}).json()["errors"][0]
        over = http.get("/reconcile", params={"queries": '{"q0": {"query": "x", "limit": 1e400}}'}).json()["errors"][0]
    assert "NaN" in error["message"] and "limit" in error["message"]
    assert 'Query "q0"' in over["message"] and "limit" in over["message"] and "finite" in over["message"]
