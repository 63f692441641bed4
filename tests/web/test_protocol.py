"""web/protocol.py: a request uvicorn's parser refuses before any app is called — a control character
in a header, raw bytes outside ASCII in the URL, a request line that is not HTTP/1.1 — is answered in
the one error shape (400, JSON), never uvicorn's plain text; the value refused is never shown back."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from jjjcredit.web import protocol
from tests.web.conftest import Server

CODE = "91350100M000100Y43"

# (what goes on the wire, code, field, position)
CASES = {
    "control byte in a header value": (b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Purpose: a\x01b\r\n\r\n",
                                       "request.bad_header", "X-Purpose", 2),
    "DEL in a header value": (b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Purpose: core\x7f\r\n\r\n",
                              "request.bad_header", "X-Purpose", 5),
    "control byte in a header name": (b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Pur\x01pose: ab\r\n\r\n",
                                      "request.bad_header", None, 6),
    "raw UTF-8 in the path": (b"GET /api/v1/organizations/\xe4\xb8\xad HTTP/1.1\r\nHost: test\r\n\r\n",
                              "request.bad_url", "url", 23),
    "raw UTF-8 in the query": (b"GET /api/v1/search?q=\xe4\xb8\xad HTTP/1.1\r\nHost: test\r\n\r\n",
                               "request.bad_url", "url", 18),
    "control byte in the path": (f"GET /api/v1/organizations/{CODE}\x01 HTTP/1.1\r\nHost: test\r\n\r\n".encode(),
                                 "request.bad_url", "url", 41),
    "not HTTP/1.1": (b"GET /healthz HTTP/9.1\r\nHost: test\r\n\r\n", "request.http", None, None),
}


def send(url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Bytes on the wire as they are (an HTTP client refuses to send these); the status, headers, body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, payload


@pytest.mark.parametrize("case", CASES)
def test_a_request_the_parser_refuses_is_a_400_in_the_one_shape(server: Server, case: str):
    data, code, field, position = CASES[case]
    status, headers, payload = send(server.url, data)
    assert status == 400, payload
    assert headers["content-type"] == "application/json" and int(headers["content-length"]) == len(payload)
    answer: dict[str, Any] = json.loads(payload)
    (error,) = answer["errors"]
    assert (error["code"], error["field"], error["row"], error.get("position")) == (code, field, None, position)
    message = error["message"]
    assert message.endswith(".") and "\x01" not in message and "\x7f" not in message and "中" not in message
    assert "a\x01b" not in payload.decode("latin-1")


def test_a_good_request_on_the_same_server_is_answered_as_before(server: Server):
    status, headers, payload = send(server.url, b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                                            b"X-Purpose: %E6%A0%B8\r\n\r\n")
    assert status == 200 and headers["content-type"] == "application/json" and "errors" not in json.loads(payload)


def test_headers_that_do_not_arrive_in_time_are_a_408_and_the_connection_closes(
        server: Server, monkeypatch: pytest.MonkeyPatch):
    """A client sending its headers a line at a time, then nothing, holds a connection no longer than the
    setting (JJJCREDIT_LIMIT_BODY_SECONDS, 1 s here): the answer is 408 in the one shape, then the close."""
    monkeypatch.setattr(protocol, "HEADER_SECONDS", 1)
    started = time.monotonic()
    status, headers, payload = send(server.url, b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: 1\r\n")
    assert status == 408 and headers["connection"] == "close" and 0.5 < time.monotonic() - started < 10
    assert json.loads(payload)["errors"][0]["code"] == "request.timeout"
