"""web/openapi.py: /openapi.json describes what the server does — every error status a route can give, in
the one shape of web/errors.py (FastAPI's ``{"detail": ...}`` nowhere), and the API key the server checks."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from jjjcredit.core.errors import ERROR_CODES
from jjjcredit.core.sharing import access
from tests.web.conftest import Server

#: What a route that declares a service can answer besides its own errors: sizes and characters (every route),
#: the key, the purpose and the rate limit (every service), the schema's own validation (a route with parameters).
EVERY_ROUTE = {400, 413, 414, 431, 500, 503}
EVERY_SERVICE = EVERY_ROUTE | {401, 429}


def _spec(server: Server) -> dict[str, Any]:
    with server.client() as http:
        return dict(http.get("/openapi.json").json())


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def _errors_schema(spec: dict[str, Any]) -> dict[str, Any]:
    return {"$ref": "#/components/schemas/Errors", "components": spec["components"]}


def test_every_error_status_is_documented_in_the_one_shape(server: Server):
    spec = _spec(server)
    assert "HTTPValidationError" not in json.dumps(spec) and '"detail"' not in json.dumps(spec)
    for path, method, op in _operations(spec):
        for status, response in op["responses"].items():
            if status.startswith("2"):
                continue
            assert response["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}, \
                (path, method, status)
            codes = response["x-error-codes"]
            assert codes and {ERROR_CODES[c].http_status for c in codes} == {int(status)}, (path, status, codes)
            assert all(f"`{c}`" in response["description"] for c in codes)
        statuses = {int(s) for s in op["responses"] if not s.startswith("2")}
        assert statuses >= EVERY_ROUTE, (path, method, statuses)
    responses = {(path, method): {int(s) for s in op["responses"]} for path, method, op in _operations(spec)}
    assert responses["/api/v1/changes", "get"] == {200} | EVERY_SERVICE | {403, 422}
    assert responses["/api/v1/organizations/{code}", "get"] == {200} | EVERY_SERVICE | {404, 422}
    assert responses["/api/v1/verify", "post"] == {200} | EVERY_SERVICE | {422, 503}
    assert responses["/api/v1/keys", "get"] == {200} | EVERY_SERVICE | {503}  # no parameters: never a 422
    assert responses["/reconcile", "post"] == {200} | EVERY_SERVICE | {413}
    assert responses["/healthz", "get"] == {200} | EVERY_ROUTE
    lookup = spec["paths"]["/api/v1/organizations/{code}"]["get"]["responses"]
    assert {"uscc.checksum", "access.purpose_required", "request.bad_characters"} <= set(lookup["400"]["x-error-codes"])
    assert set(lookup["401"]["x-error-codes"]) == {"access.bad_key", "access.key_expired"}
    assert set(lookup["404"]["x-error-codes"]) == {"library.not_found", "request.not_found"}
    assert "Retry-After" in lookup["429"]["headers"]


def test_the_error_schema_is_exactly_the_shape_the_server_answers(server: Server):
    spec = _spec(server)
    schema = _errors_schema(spec)
    code = server.codes[1]
    with server.client() as public, server.client("verifier") as verifier, server.client("full", purpose="") as mute:
        answers = [public.get("/api/v1/organizations/9135O100M000100Y43"),  # suggestions and position
                   public.get("/api/v1/organizations/91350100M000100Y43"),
                   public.get("/no/such/route"),
                   public.post("/api/v1/verify", json={"code": 1}),
                   public.post("/api/v1/verify", content=b'{"code": 1', headers={"Content-Type": "application/json"}),
                   public.get("/api/v1/changes"),
                   verifier.get("/api/v1/changes"),
                   mute.get(f"/api/v1/organizations/{code}"),
                   public.get("/api/v1/search", params={"q": "a\x00"}),
                   public.post("/api/v1/verify/batch", content=b"x" * 10_000_000)]
    statuses = set()
    for response in answers:
        assert response.status_code >= 400
        jsonschema.validate(response.json(), schema)
        statuses.add(response.status_code)
    assert statuses == {400, 401, 403, 404, 413, 422}
    error = answers[0].json()["errors"][0]
    with pytest.raises(jsonschema.ValidationError):  # exact: a member the server never sends is refused
        jsonschema.validate({"errors": [{**error, "detail": "x"}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"detail": [{"loc": ["body"], "msg": "x", "type": "x"}]}, schema)


def test_the_api_key_scheme_is_the_header_the_server_checks(server: Server):
    spec = _spec(server)
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    for path, method, op in _operations(spec):
        if not path.startswith(("/api/", "/reconcile")):
            assert "security" not in op, path  # /healthz, /metrics: no key looked at
            continue
        # a public service works without a key ({}: optional); the change feed, the catalogue's staff
        # steps (everything but reading it and commenting on it), submitting credit records and a peer node's
        # pull of the federation's changes need one
        keyed = path in ("/api/v1/changes", "/api/v1/federation/changes") \
            or (path.startswith("/api/v1/catalogue") and method != "get" and not path.endswith("/comments")) \
            or path.startswith("/api/v1/credit/")
        assert op["security"] == ([{"ApiKey": []}] if keyed else [{}, {"ApiKey": []}]), (path, method)
        purpose = [p for p in op["parameters"] if p["in"] == "header" and p["name"] == "X-Purpose"]
        assert len(purpose) == 1 and not purpose[0]["required"], path
    assert "changes" not in access.PUBLIC_SERVICES
    with server.client() as http:
        assert http.get("/api/v1/changes").status_code == 401
        keyed = http.get("/api/v1/changes", headers={scheme["name"]: server.keys["full"], "X-Purpose": "test"})
        assert keyed.status_code == 200
