"""A NUL character or a lone surrogate anywhere in a request — path, query, header, JSON or form body —
is a 400 ``request.bad_characters`` in the one error shape on both databases, and the audit trail
keeps recording."""

from __future__ import annotations

import socket
import time

import pytest

from jjjcredit.services.sharing import audit
from jjjcredit.storage.engine import make_engine
from tests.web.conftest import Server

CODE = "91350100M000100Y43"
JSON = {"Content-Type": "application/json"}

# (method, target as sent on the wire, body, headers, field named in the answer)
CASES = [
    ("GET", "/api/v1/organizations/9135%00", None, {}, "code"),
    ("GET", "/api/v1/organizations/{code}/history%00", None, {}, None),  # no such route: 404 as before
    ("GET", "/reconcile/preview/ab%00c", None, {}, "code"),
    ("GET", "/api/v1/search?q=a%00b", None, {}, "q"),
    ("GET", "/api/v1/search?q=x&region=1%00", None, {}, "region"),
    ("GET", "/api/v1/search/autocomplete?q=%00", None, {}, "q"),
    ("GET", "/reconcile/suggest/entity?prefix=a%00", None, {}, "prefix"),
    ("GET", "/api/v1/changes?after=%00", None, {}, "after"),
    ("POST", "/api/v1/verify", b'{"code": "' + CODE.encode() + b'", "name": "a\\u0000b"}', JSON, "name"),
    ("POST", "/api/v1/verify", b'{"code": "' + CODE.encode() + b'", "name": "\\ud800"}', JSON, "name"),
    ("POST", "/api/v1/verify", b'{"code": "\\udc00' + CODE.encode() + b'", "name": "x", "legal_rep": 5}', JSON,
     "code"),
    ("POST", "/api/v1/verify/batch",
     b'{"items": [{"code": "' + CODE.encode() + b'", "name": "x"}, {"code": "x", "name": "\\udfff"}]}', JSON,
     "items.1.name"),
    ("POST", "/reconcile", b"queries=%00", {"Content-Type": "application/x-www-form-urlencoded"}, "queries"),
]


def _raw(server: Server, method: str, target: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
    """One request as bytes on the wire: an HTTP client would refuse to send some of these."""
    host, port = server.url.removeprefix("http://").split(":")
    lines = [f"{method} {target} HTTP/1.1", "Host: test", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


@pytest.mark.parametrize(("method", "target", "body", "headers", "field"), CASES,
                         ids=[f"{c[0]} {c[1][:40]} {c[4]}" for c in CASES])
def test_bad_characters_are_a_400_in_the_one_shape(server: Server, method: str, target: str, body: bytes | None,
                                                   headers: dict[str, str], field: str | None):
    import json

    target = target.replace("{code}", server.codes[0])
    status, payload = _raw(server, method, target, body, headers)
    data = json.loads(payload)
    if field is None:
        assert status == 404 and data["errors"][0]["code"] == "request.not_found"
        return
    assert status == 400, payload
    assert set(data) == {"errors"} and len(data["errors"]) == 1
    error = data["errors"][0]
    assert (error["code"], error["field"], error["row"]) == ("request.bad_characters", field, None)
    assert "\x00" not in error["message"]


def test_the_same_calls_with_keys_and_a_header_holding_nul(server: Server):
    status, payload = _raw(server, "GET", "/api/v1/changes?after=1%00", None,
                           {"X-API-Key": server.keys["full"], "X-Purpose": "test"})
    assert status == 400 and b"request.bad_characters" in payload
    # A NUL inside a header line never reaches the app: the server's HTTP parser refuses the request.
    status, _ = _raw(server, "GET", "/api/v1/changes", None, {"X-API-Key": server.keys["full"], "X-Purpose": "a\x00b"})
    assert status == 400


def test_a_surrogate_pair_and_an_escaped_backslash_are_ordinary_text(server: Server):
    import json

    for name in (b"\\ud83d\\ude00", b"\\\\u0000"):
        status, payload = _raw(server, "POST", "/api/v1/verify", b'{"code": "' + CODE.encode() + b'", "name": "'
                               + name + b'"}', JSON)
        assert status == 200, payload
        assert json.loads(payload)["verdict"] == "not_found"


def test_refused_calls_are_audited_and_the_trail_stays_intact(server: Server, database_url: str):
    for method, target, body, headers, _field in (CASES[0], CASES[3]):
        _raw(server, method, target.replace("{code}", server.codes[0]), body, headers)
    engine = make_engine(database_url)
    try:
        deadline = time.monotonic() + 20
        while True:
            with engine.connect() as conn:
                entries = list(audit.iter_entries(conn))
            if len([e for e in entries if e["outcome"] == "request.bad_characters"]) >= 2 \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        refused = [e for e in entries if e["outcome"] == "request.bad_characters"]
        assert [e["path"] for e in refused] == ["/api/v1/organizations/9135\ufffd", "/api/v1/search"]
        with engine.connect() as conn:
            assert audit.verify_trail(conn) == []
    finally:
        engine.dispose()
