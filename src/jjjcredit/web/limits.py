"""The size of a request, checked before any of it is parsed (core/limits.py; docs/limits.md).

:class:`Bounds`, a plain ASGI middleware inside ``Observe``, refuses in the one error shape:

- a path over ``path_chars`` characters (414 ``request.path_too_long``), a query string over
  ``query_string_bytes`` (414 ``request.query_too_long``);
- a header value over ``header_bytes``, or headers together over ``headers_bytes`` (431
  ``request.headers_too_large``); an ``X-Purpose`` of more than ``purpose_chars`` characters (400
  ``request.purpose_too_long``);
- a body over ``body_bytes`` (413 ``request.body_too_large``): at once by its Content-Length, and a
  body sent without one is counted as it streams in and refused the moment it passes the limit — at
  most the limit is ever held;
- a JSON body nested deeper than ``json_depth`` (400 ``request.too_deep``), found by counting brackets
  outside strings before any parser sees it.

``X-Purpose`` is text in UTF-8: sent raw (UTF-8 bytes) or percent-encoded (``%E6%A0%B8…``, what a
client limited to ASCII headers sends); :func:`purpose_text` turns either into ``核查身份``, which is what
the audit trail stores.
"""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jjjcredit.core.limits import Limits, json_depth
from jjjcredit.web.errors import ApiError, error_response

#: What :class:`Bounds` refuses a request with, on every route (/openapi.json lists them).
CODES = ("request.query_too_long", "request.headers_too_large", "request.purpose_too_long", "request.body_too_large",
         "request.too_deep")


def purpose_text(raw: bytes) -> str:
    """The X-Purpose header as text: UTF-8 bytes decoded (Latin-1 when they are not UTF-8), then
    percent-escapes decoded as UTF-8.

    >>> purpose_text("核查身份".encode())
    '核查身份'
    >>> purpose_text(b"%E6%A0%B8%E6%9F%A5%E8%BA%AB%E4%BB%BD")
    '核查身份'
    >>> purpose_text(b"credit check 100%")
    'credit check 100%'
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # cut inside a character (a bounded read), or not UTF-8 at all
        text = raw[:exc.start].decode("utf-8") if exc.start >= len(raw) - 3 else raw.decode("latin-1")
    return unquote(text, errors="strict") if "%" in text and _decodes(text) else text


def _decodes(text: str) -> bool:
    try:
        unquote(text, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def check_json_depth(data: bytes | str, limits: Limits, field: str | None = None) -> None:
    """400 ``request.too_deep`` for JSON nested deeper than the limit."""
    depth = json_depth(data)
    if depth > limits.json_depth:
        raise ApiError("request.too_deep", f"The JSON {'in ' + field if field else 'body'} nests {depth} levels "
                       f"deep; at most {limits.json_depth} are accepted (setting JJJCREDIT_LIMIT_JSON_DEPTH).",
                       field=field)


def check_headers(headers: list[tuple[bytes, bytes]], limits: Limits) -> None:
    total = 0
    for name, value in headers:
        total += len(name) + len(value)
        if len(value) > limits.header_bytes or total > limits.headers_bytes:
            shown = name.decode("latin-1")[:64]
            over = (f"header {shown} holds {len(value)} bytes; at most {limits.header_bytes} are accepted"
                    if len(value) > limits.header_bytes else
                    f"headers hold more than {limits.headers_bytes} bytes together")
            raise ApiError("request.headers_too_large", f"The {over} (settings JJJCREDIT_LIMIT_HEADER_BYTES, "
                           "JJJCREDIT_LIMIT_HEADERS_BYTES).", field=shown)
        if name == b"x-purpose":
            chars = len(purpose_text(value))
            if chars > limits.purpose_chars:
                raise ApiError("request.purpose_too_long", f"X-Purpose holds {chars} characters; at most "
                               f"{limits.purpose_chars} are accepted (setting JJJCREDIT_LIMIT_PURPOSE_CHARS): "
                               "state the purpose in a sentence.", field="X-Purpose")


def _too_large(size: int | str, limits: Limits) -> ApiError:
    return ApiError("request.body_too_large", f"The request body holds {size} bytes; at most {limits.body_bytes} "
                    "are accepted (setting JJJCREDIT_LIMIT_BODY_BYTES): send a smaller batch.")


class Bounds:
    """Refuses a request over a limit before the app reads it; replays a body within the limits."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._check(scope, receive)
        except ApiError as exc:
            await error_response(Request(scope), exc)(scope, receive, send)
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # the disconnect, when the client goes

        await self.app(scope, replay, send)

    async def _check(self, scope: Scope, receive: Receive) -> bytes | None:
        """The body, read within the limit (``None`` for a request that has none to read)."""
        limits = self.limits
        path = scope.get("path") or ""
        if len(path) > limits.path_chars:
            raise ApiError("request.path_too_long", f"The URL's path holds {len(path):,} characters; at most "
                           f"{limits.path_chars:,} are accepted (setting JJJCREDIT_LIMIT_PATH_CHARS): no route's "
                           "path is longer.")
        query = scope.get("query_string") or b""
        if len(query) > limits.query_string_bytes:
            raise ApiError("request.query_too_long", f"The query string holds {len(query)} bytes; at most "
                           f"{limits.query_string_bytes} are accepted (setting JJJCREDIT_LIMIT_QUERY_STRING_BYTES): "
                           "send long input in a POST body.")
        headers = scope["headers"]
        check_headers(headers, limits)
        length = next((v for n, v in headers if n == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > limits.body_bytes):
            raise _too_large(length.decode("latin-1")[:20], limits)
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and length is None:
            return None
        parts: list[bytes] = []
        size, more = 0, True
        deadline = asyncio.get_running_loop().time() + limits.body_seconds
        while more:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise ApiError("request.timeout", f"The request's body took more than {limits.body_seconds} s to "
                               f"arrive ({size:,} bytes had come); send it whole at once (setting "
                               "JJJCREDIT_LIMIT_BODY_SECONDS).") from None
            if message["type"] != "http.request":
                return None  # the client went away: the app sees the disconnect
            part = message.get("body", b"")
            size += len(part)
            if size > limits.body_bytes:
                raise _too_large(f"more than {limits.body_bytes}", limits)
            parts.append(part)
            more = message.get("more_body", False)
        body = b"".join(parts)
        content_type = next((v for n, v in headers if n == b"content-type"), b"")
        if body and b"json" in content_type:
            check_json_depth(body, limits)
        return body
