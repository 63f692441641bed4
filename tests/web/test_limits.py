"""Every limit of a request (core/limits.py, web/limits.py) through real HTTP: an input just over it is
refused in the one error shape before the work, one just under it passes; public batches count their
work against the rate limit; wrong keys are rate limited; X-Purpose is stored as the text sent."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from jjjcredit.core.errors import Error
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.sharing import audit, clients
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.web.conftest import SECRET, serving

LIMITS = Limits(body_bytes=4096, query_string_bytes=512, header_bytes=1024, headers_bytes=4096, purpose_chars=20,
                json_depth=8, reconcile_queries=5, query_chars=50, body_seconds=2)


@pytest.fixture
def bounded(database_url: str) -> Iterator[tuple[str, str]]:
    """A server with small limits and a public rate of 10 a minute; its URL and a reconcile key."""
    engine = make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        _, key = clients.add_client(conn, "refine", "reconcile,verify", 1)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, signing_key_secret=SECRET,
                             public_rate_per_minute=10, limits=LIMITS))
    with serving(app) as url:
        yield url, key


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["code"])


def _queries(n: int, text: str = "某某科技有限公司") -> str:
    return json.dumps({f"q{i}": {"query": text} for i in range(n)}, ensure_ascii=False)


def test_a_body_over_the_limit_is_refused_by_its_length_and_while_it_streams(bounded: tuple[str, str]):
    url, _ = bounded
    with httpx.Client(base_url=url) as http:
        items = [{"code": "x", "name": "y" * 10}] * 200
        over = http.post("/api/v1/verify/batch", json={"items": items})
        assert over.status_code == 413 and _code(over) == "request.body_too_large"
        assert "4096" in over.json()["errors"][0]["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            yield b'{"items": ['
            for _ in range(150):
                yield b'{"code": "x", "name": "yyyyyyyyyy"},'
            yield b'{"code": "x", "name": "y"}]}'

        streamed = http.post("/api/v1/verify/batch", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and _code(streamed) == "request.body_too_large"
        under = http.post("/api/v1/verify/batch", json={"items": [{"code": "x", "name": "y"}] * 10})
        assert under.status_code == 200


def test_a_body_that_does_not_arrive_in_time_is_refused(bounded: tuple[str, str]):
    """A body sent a few bytes and then nothing (a slow client holding a connection and its memory): 408
    once JJJCREDIT_LIMIT_BODY_SECONDS have passed, before any key or route is looked at."""
    address = urllib.parse.urlsplit(bounded[0])
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        sock.sendall(b"POST /api/v1/credit/batches HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                     b"Content-Length: 1000\r\n\r\n\xe8\xa1\x8c")
        started = time.monotonic()
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408") and b"request.timeout" in answer
    assert 1.5 < time.monotonic() - started < 10


def test_query_string_headers_and_purpose_over_their_limits(bounded: tuple[str, str]):
    url, key = bounded
    with httpx.Client(base_url=url) as http:
        long_query = http.get("/api/v1/search", params={"q": "某" * 200})
        assert long_query.status_code == 414 and _code(long_query) == "request.query_too_long"
        assert http.get("/api/v1/search", params={"q": "某" * 40}).status_code == 200
        long_path = http.get("/api/v1/subjects/P:" + "a" * 1_100 + "/records")  # (the default limit: 1,024)
        assert long_path.status_code == 414 and _code(long_path) == "request.path_too_long"
        assert "a" * 100 not in long_path.text
        header = http.get("/healthz", headers={"X-Anything": "a" * 1025})
        assert header.status_code == 431 and _code(header) == "request.headers_too_large"
        assert header.json()["errors"][0]["field"] == "x-anything"
        assert http.get("/healthz", headers={"X-Anything": "a" * 1000}).status_code == 200
        many = http.get("/healthz", headers={f"X-H{i}": "a" * 900 for i in range(5)})
        assert many.status_code == 431 and _code(many) == "request.headers_too_large"
        keyed = {"X-API-Key": key}
        purpose = http.get("/reconcile/suggest/type", headers={**keyed, "X-Purpose": "p" * 21})
        assert purpose.status_code == 400 and _code(purpose) == "request.purpose_too_long"
        encoded = "%E6%A0%B8" * 21  # 21 characters once decoded
        assert _code(http.get("/reconcile/suggest/type", headers={**keyed, "X-Purpose": encoded})) \
            == "request.purpose_too_long"
        assert http.get("/reconcile/suggest/type", headers={**keyed, "X-Purpose": "p" * 20}).status_code == 200


def test_json_nested_deeper_than_the_limit_is_refused_before_parsing(bounded: tuple[str, str]):
    url, key = bounded
    with httpx.Client(base_url=url) as http:
        deep = http.post("/api/v1/verify", content=b"[" * 9 + b"]" * 9, headers={"content-type": "application/json"})
        assert deep.status_code == 400 and _code(deep) == "request.too_deep"
        ok = http.post("/api/v1/verify", content=b"[" * 8 + b"]" * 8, headers={"content-type": "application/json"})
        assert ok.status_code == 422, "within the depth: the route's own validation answers"
        nested = '{"q0": {"query": "x", "properties": ' + "[" * 7 + "]" * 7 + "}}"
        refused = http.post("/reconcile", data={"queries": nested}, headers={"X-API-Key": key, "X-Purpose": "t"})
        assert refused.status_code == 400 and _code(refused) == "request.too_deep"
        assert refused.json()["errors"][0]["field"] == "queries"


def test_reconcile_batches_and_query_texts_are_bounded(bounded: tuple[str, str]):
    url, key = bounded
    keyed = {"X-API-Key": key, "X-Purpose": "t"}
    with httpx.Client(base_url=url, headers=keyed) as http:
        many = http.post("/reconcile", data={"queries": _queries(6)})
        assert many.status_code == 413 and _code(many) == "reconcile.too_many"
        assert http.post("/reconcile", data={"queries": _queries(5)}).status_code == 200
        long_text = http.post("/reconcile", data={"queries": _queries(1, "天津" * 26)})
        assert long_text.status_code == 400 and _code(long_text) == "reconcile.query_too_long"
        assert http.post("/reconcile", data={"queries": _queries(1, "天津" * 25)}).status_code == 200


def test_a_public_batch_counts_its_queries_against_the_rate_limit(bounded: tuple[str, str]):
    url, _ = bounded
    with httpx.Client(base_url=url) as http:  # 10 a minute
        assert http.post("/reconcile", data={"queries": _queries(5)}).status_code == 200
        assert http.post("/reconcile", data={"queries": _queries(4)}).status_code == 200
        refused = http.post("/reconcile", data={"queries": _queries(2)})
        assert refused.status_code == 429 and _code(refused) == "access.rate_limited"
        assert http.get("/reconcile/suggest/type").status_code == 429, "the refused call counted as one"


def test_a_public_verify_batch_counts_one_call_per_hundred_questions(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, signing_key_secret=SECRET,
                             public_rate_per_minute=5))
    with serving(app) as url, httpx.Client(base_url=url) as http:
        items = [{"code": "x", "name": "y"}] * 301  # 4 calls' worth
        assert http.post("/api/v1/verify/batch", json={"items": items}).status_code == 200
        assert http.post("/api/v1/verify", json={"code": "x", "name": "y"}).status_code == 200
        refused = http.post("/api/v1/verify", json={"code": "x", "name": "y"})
        assert refused.status_code == 429 and _code(refused) == "access.rate_limited"


def test_keyed_calls_to_the_public_services_are_limited_per_client_and_batches_count_their_work(database_url: str):
    """A key admits a client to more, never to unbounded use of the public's services: its calls to them count
    against the client (JJJCREDIT_CLIENT_RATE_PER_MINUTE), a batch its work as a public one does, in a window
    apart from the public's and from every other client's; a granted service of its own is not counted."""
    engine = make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        _, key = clients.add_client(conn, "refine", "reconcile,verify,changes", 1)
        _, other = clients.add_client(conn, "other", "verify", 1)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, signing_key_secret=SECRET,
                             public_rate_per_minute=1000, client_rate_per_minute=8, limits=LIMITS))
    question = {"code": "x", "name": "y"}
    with serving(app) as url, httpx.Client(base_url=url, headers={"X-API-Key": key, "X-Purpose": "t"}) as http, \
            httpx.Client(base_url=url) as public:
        assert http.post("/reconcile", data={"queries": _queries(5)}).status_code == 200  # 5
        assert http.post("/api/v1/verify/batch", json={"items": [question] * 101}).status_code == 200  # 2
        assert http.post("/api/v1/verify", json=question).status_code == 200  # 1: 8 in all
        for _ in range(3):  # its own granted service is not the public's: not counted
            assert http.get("/api/v1/changes", params={"after": 0}).status_code == 200
        refused = http.post("/api/v1/verify", json=question)
        error = refused.json()["errors"][0]
        assert (refused.status_code, error["code"]) == (429, "access.rate_limited")
        assert int(refused.headers["Retry-After"]) >= 1
        assert 'client "refine"' in error["message"] and "JJJCREDIT_CLIENT_RATE_PER_MINUTE" in error["message"]
        assert http.post("/api/v1/verify", json=question, headers={"X-API-Key": other}).status_code == 200
        assert public.post("/api/v1/verify", json=question).status_code == 200, "the public's own count is apart"
    assert Settings.from_env({"JJJCREDIT_CLIENT_RATE_PER_MINUTE": "30"}).client_rate_per_minute == 30
    assert Settings().client_rate_per_minute == 600


def test_wrong_keys_are_rate_limited_per_address_and_right_keys_wait_too(bounded: tuple[str, str]):
    url, key = bounded
    with httpx.Client(base_url=url, headers={"X-Purpose": "t"}) as http:
        for i in range(10):
            assert _code(http.get("/reconcile/suggest/type", headers={"X-API-Key": f"guess-{i}"})) == "access.bad_key"
        guessed = http.get("/reconcile/suggest/type", headers={"X-API-Key": "guess-10"})
        assert guessed.status_code == 429 and _code(guessed) == "access.rate_limited"
        assert int(guessed.headers["Retry-After"]) >= 1
        right = http.get("/reconcile/suggest/type", headers={"X-API-Key": key})
        assert right.status_code == 429, "past the limit no key is looked at: guessing cannot go on"
        assert http.get("/reconcile/suggest/type").status_code == 200, "the public's own count is apart"


@pytest.mark.parametrize("sent", [pytest.param("核查身份".encode(), id="utf-8"),
                                  pytest.param(b"%E6%A0%B8%E6%9F%A5%E8%BA%AB%E4%BB%BD", id="percent-encoded")])
def test_a_chinese_purpose_is_stored_as_sent(bounded: tuple[str, str], database_url: str, sent: bytes):
    url, key = bounded
    host, port = url.removeprefix("http://").split(":")
    body = b'{"code": "x", "name": "y"}'
    request = (b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
               str(len(body)).encode() + b"\r\nX-API-Key: " + key.encode() + b"\r\nX-Purpose: " + sent +
               b"\r\nConnection: close\r\n\r\n" + body)
    with socket.create_connection((host, int(port))) as raw:  # httpx would refuse raw UTF-8 in a header
        raw.sendall(request)
        assert raw.recv(100).startswith(b"HTTP/1.1 200")
    engine = make_engine(database_url)
    try:
        deadline = time.monotonic() + 10
        while True:
            with engine.connect() as conn:
                purposes = [e["purpose"] for e in audit.iter_entries(conn)]
            if purposes or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        engine.dispose()
    assert purposes == ["核查身份"]


def test_limits_are_settings(tmp_path: Path):
    settings = Settings.from_env({"JJJCREDIT_LIMIT_BODY_BYTES": "123", "JJJCREDIT_LIMIT_JSON_DEPTH": "4"})
    assert (settings.limits.body_bytes, settings.limits.json_depth) == (123, 4)
    assert settings.limits.query_chars == Limits().query_chars
    with pytest.raises(Error, match="JJJCREDIT_LIMIT_CELL_CHARS"):
        Settings.from_env({"JJJCREDIT_LIMIT_CELL_CHARS": "0"})
