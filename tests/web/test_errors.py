"""web/errors.py: one handler answers any core error with its status from the table, in the one shape;
a body that is not JSON names the character in ``position``, never in ``row``."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from jjjcredit.core.errors import ERROR_CODES, Error
from jjjcredit.services import db
from jjjcredit.services.library.library import LibraryError
from jjjcredit.services.sharing.clients import ClientError
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.web.conftest import Server, serving


def test_a_body_that_is_not_json_names_the_character_not_a_row(server: Server):
    with server.client() as http:
        for body, position in ((b'{"code": ', 10), (b'{"code": 1', 11), (b'{"code": "x",\n "name": }', 24)):
            response = http.post("/api/v1/verify", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 422
            error = response.json()["errors"][0]
            assert error["code"] == "request.invalid" and error["row"] is None and error["field"] is None
            assert error["position"] == position and f"character {position}" in error["message"]


def test_a_field_error_keeps_its_field_and_no_position(server: Server):
    with server.client() as http:
        response = http.post("/api/v1/verify", json={"code": "x"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["code"], error["field"]) == ("request.invalid", "name") and "position" not in error


@pytest.mark.parametrize("exc", [
    LibraryError("library.unknown_batch", 'No batch "b1".'),
    ClientError("clients.exists", 'A client "x" exists already.'),
    Error("db.schema_behind", "The database is behind."),
    Error("record.date", "Not a date.", field="成立日期", row=14, position=5),
], ids=lambda e: e.code)
def test_any_core_error_gets_the_status_of_its_code(database_url: str, exc: Error):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url))

    def fails() -> None:
        raise exc

    app.add_api_route("/api/v1/fails", fails)
    with serving(app) as url, httpx.Client(base_url=url) as http:
        response = http.get("/api/v1/fails")
    assert response.status_code == ERROR_CODES[exc.code].http_status
    assert response.json() == {"errors": [{"code": exc.code, "message": exc.message, "field": exc.field,
                                           "row": exc.row, **({"position": exc.position} if exc.position else {})}]}


def test_service_errors_reach_the_caller_through_the_one_handler(server: Server):
    with server.client() as http:
        limit = http.get("/api/v1/search", params={"q": "石家庄", "limit": 0})
        region = http.get("/api/v1/search", params={"q": "石家庄", "region": "xx"})
        queries = http.get("/reconcile", params={"queries": "[1]"})
        broken = http.get("/reconcile", params={"queries": '{"q0": '})
    assert limit.status_code == 400 and limit.json()["errors"][0]["code"] == "search.bad_limit"
    assert region.status_code == 400 and region.json()["errors"][0]["field"] == "region"
    assert queries.status_code == 400 and queries.json()["errors"][0]["code"] == "reconcile.bad_queries"
    assert queries.json()["errors"][0]["field"] == "queries"
    error = broken.json()["errors"][0]
    assert broken.status_code == 400 and (error["code"], error["row"], error["position"]) == \
        ("reconcile.bad_queries", None, 8)


def test_a_body_no_json_reader_can_take_says_why_and_where(database_url: str):
    """What FastAPI answers "There was an error parsing the body" for: the cause, in the one shape."""
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    settings = replace(Settings(), database_url=database_url, signing_key_secret="x")
    app = create_app(replace(settings, limits=replace(settings.limits, json_depth=5000)))
    code = "91350100M000100Y43"
    cases = [  # body, status, code, position
        (b'{"code": "' + code.encode() + b'", "name": "\xe4\xb8"}', 422, "request.invalid", 41),  # byte 41
        (b'{"code": ' + b"1" * 5000 + b', "name": "x"}', 422, "request.invalid", None),
        (b'{"code": "x", "name": "y", "on": ' + b"[" * 3000 + b"]" * 3000 + b"}", 400, "request.too_deep", None),
    ]
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        for body, status, code_, position in cases:
            response = http.post("/api/v1/verify", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == status, response.text
            (error,) = response.json()["errors"]
            assert (error["code"], error["row"], error.get("position")) == (code_, None, position)
            assert "error parsing the body" not in error["message"] and error["message"].endswith(".")
