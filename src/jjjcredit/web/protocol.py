"""The HTTP/1.1 protocol ``jjjcredit serve`` runs uvicorn with: httptools' parser (what uvicorn picks
when it is installed, named here so that it is always the same), with its refusals answered in the one
error shape.

Some requests never reach the app: the parser refuses a control character in a header (``X-Purpose:
a\\x01b``), raw bytes outside ASCII or a control character in the URL (``/organizations/中`` sent
unencoded), a request line that is not HTTP/1.1. uvicorn answers those with a plain-text 400
("Invalid HTTP request received."); :class:`Protocol` answers them as the API answers everything:

    {"errors": [{"code": "request.bad_header", "message": "...", "field": "X-Purpose", "row": null,
                 "position": 2}]}

``request.bad_header`` (``field`` names the header, ``position`` the byte in its value),
``request.bad_url`` (``position`` the byte in the URL as sent), else ``request.http``. The refused value
is never shown back: it may be personal data. Named by its import path (``jjjcredit.web.protocol:Protocol``)
in ``cli/serve.py``, as the app is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from http import HTTPStatus

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from jjjcredit.core import errors as error_table
from jjjcredit.core.limits import Limits
from jjjcredit.web import errors

log = logging.getLogger("jjjcredit.web")

#: How much of the latest bytes received is kept to say where a refused request went wrong.
_KEPT = 65536
_REQUEST_LINE = re.compile(rb"(?:^|\n)[A-Z]+ ([^ \r\n]+)")
_HEADER_LINE = re.compile(rb"^([^:\r\n]*):([^\r\n]*?)\r?$", re.MULTILINE)
_NOT_IN_URL = re.compile(rb"[^!-~]")  # a byte that is not printable ASCII
_NOT_IN_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # a control character other than the tab
_NOT_IN_NAME = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_ENCODE = "percent-encode it (UTF-8 bytes as %XX, e.g. %E4%B8%AD for one Chinese character)"


@dataclass(frozen=True)
class Refusal:
    """What the parser refused, in the terms of the one error shape."""

    code: str
    message: str
    field: str | None = None
    position: int | None = None


def refusal(exc: BaseException | None, head: bytes) -> Refusal:
    """The error for a request the parser refused with ``exc``, located in ``head`` (the latest bytes
    received: the refused request line and headers are at their end).

    >>> refusal(httptools.HttpParserError("Invalid header value char"),
    ...         b"GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Purpose: a\\x01b\\r\\n").field
    'X-Purpose'
    >>> r = refusal(httptools.HttpParserInvalidURLError("Invalid char in url path"),
    ...             b"GET /organizations/\\xe4\\xb8\\xad HTTP/1.1\\r\\nHost: x\\r\\n")
    >>> r.code, r.field, r.position
    ('request.bad_url', 'url', 16)
    """
    found = list(_REQUEST_LINE.finditer(head))
    line = found[-1] if found else None
    if isinstance(exc, httptools.HttpParserInvalidURLError):
        bad = _NOT_IN_URL.search(line.group(1)) if line else None
        at = f" at byte {bad.start() + 1}" if bad else ""
        return Refusal("request.bad_url", f"The URL holds a byte that is not printable ASCII{at} (text outside "
                       f"ASCII sent raw, a control character or a space): {_ENCODE} and send the request again.",
                       "url", bad.start() + 1 if bad else None)
    reason = str(exc) if exc is not None else ""
    if "header" in reason.lower() or "content-length" in reason.lower():
        for header in _HEADER_LINE.finditer(head, line.end() if line else 0):
            name, value = header.group(1), header.group(2).lstrip(b" \t")
            if bad := _NOT_IN_NAME.search(name):
                return Refusal("request.bad_header", f"A header name holds a byte that is not allowed in one at "
                               f"byte {bad.start() + 1}: a name is letters, digits and -; send the request "
                               "again without it.", None, bad.start() + 1)
            if bad := _NOT_IN_VALUE.search(value):
                shown = name.decode("ascii")[:64]
                return Refusal("request.bad_header", f"The header {shown} holds a control character at byte "
                               f"{bad.start() + 1} of its value, where text without control characters was "
                               "expected (text outside ASCII may be percent-encoded, UTF-8 bytes as %XX); send the "
                               "request again without it.", shown, bad.start() + 1)
        return Refusal("request.bad_header", f"A header cannot be read ({reason.lower()}): a header is one line "
                       "Name: value, without control characters.")
    return Refusal("request.http", f"The request cannot be read as HTTP/1.1 ({reason.lower() or 'malformed'}): "
                   "send a request line METHOD /path HTTP/1.1, then headers.")


#: Seconds a request's line and headers may take to arrive once its first byte has (a client sending
#: them a byte at a time would hold a connection, of the few each worker serves, for as long as it
#: likes): the setting JJJCREDIT_LIMIT_BODY_SECONDS, which bounds the body's arrival too.
HEADER_SECONDS = Limits.from_env(os.environ).body_seconds


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering a request its parser refuses in the one error shape, and a
    request whose headers do not arrive within :data:`HEADER_SECONDS` with 408 (the connection closed)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        self._received = bytearray()
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._stop_header_timer()
        self._header_timer = self.loop.call_later(HEADER_SECONDS, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        message = (f"The request's line and headers took more than {HEADER_SECONDS} s to arrive; send them whole at "
                   "once (setting JJJCREDIT_LIMIT_BODY_SECONDS).")
        log.warning("request.timeout: %s", message, extra={"code": "request.timeout"})
        self._answer_and_close(Refusal("request.timeout", message))

    def data_received(self, data: bytes) -> None:
        self._received += data
        del self._received[:-_KEPT]
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """Called by the parent while it handles the parser's error: ``sys.exc_info()`` says which."""
        found = refusal(sys.exc_info()[1], bytes(self._received))
        log.warning("%s: %s", found.code, found.message, extra={"code": found.code})
        self._answer_and_close(found)

    def _answer_and_close(self, found: Refusal) -> None:
        extra = {} if found.position is None else {"position": found.position}
        payload = json.dumps(errors.body(found.code, found.message, found.field, **extra)).encode("ascii")
        status = error_table.http_status(found.code)
        content = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode("ascii")]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(payload),
                    b"connection: close\r\n", b"\r\n", payload]
        self.transport.write(b"".join(content))
        self.transport.close()
