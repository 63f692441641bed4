"""Text no part of the platform can hold: a NUL character or a lone surrogate (half of a UTF-16 pair,
what ``"\\ud800"`` in JSON decodes to). PostgreSQL refuses both in text, a UTF-8 encoder the second, so
each would surface as a 500 deep inside a route. One dependency of the whole app
(:func:`refuse_bad_characters`) looks at every path and query parameter, header and body field before
any route runs, and answers ``request.bad_characters`` (400) naming where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.web.errors import ApiError

#: Routes whose body is a file (a credit batch): curl sends one as a form unless told otherwise, and a
#: workbook holds NUL bytes; services/tabular/ reads and judges it.
FILE_ROUTES = frozenset({"/api/v1/credit/batches"})
#: What :func:`refuse_bad_characters` answers, on every route.
CODE = "request.bad_characters"
_BAD = re.compile("[\x00\ud800-\udfff]")
#: A JSON escape that may decode to a NUL or a surrogate; only a body holding one is decoded and walked.
_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def bad(text: str) -> bool:
    """Whether ``text`` holds a NUL or a lone surrogate.

    >>> bad("北京某某科技有限公司"), bad("a\\x00b"), bad("\\ud800"), bad("😀")
    (False, True, True, False)
    """
    return _BAD.search(text) is not None


def clean(text: str) -> str:
    """``text`` with each NUL and lone surrogate replaced by U+FFFD: what the request's log line and
    audit entry keep of a refused path or header.

    >>> clean("9135\\x00") == "9135\\ufffd"
    True
    """
    return _BAD.sub("\ufffd", text)


#: The most characters of a request's path a log line or an audit entry keeps (a path may be as long as the
#: HTTP parser's line, tens of kilobytes; every route's own paths are far shorter).
PATH_KEPT = 1_000


def kept_path(path: str) -> str:
    """A request's path as its log line and audit entry keep it: a personal number masked, then cut to
    :data:`PATH_KEPT` characters with how many there were.

    >>> kept_path("/api/v1/subjects/" + "9" * 2000).endswith("…(2,017 characters)")
    True
    >>> kept_path("/api/v1/subjects/130102198503171236/records")
    '/api/v1/subjects/130102********1236/records'
    """
    shown = shown_personal(clean(path))
    return shown if len(shown) <= PATH_KEPT else f"{shown[:PATH_KEPT]}…({len(shown):,} characters)"


def _refuse(where: str, name: str) -> ApiError:
    name = clean(name)  # the answer cannot hold them either
    return ApiError(CODE, f"The {where} {name} holds a NUL character or a lone surrogate, "
                    "which no text here can hold; remove it and send the request again.", field=name)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every key and string value of a JSON document, each with its dotted path (``items.0.name``); a key
    goes with its object's path (a bad key cannot name where it is)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}.{i}" if path else str(i))


def refuse_in_document(document: Any, field: str) -> None:
    """400 ``request.bad_characters`` for a NUL or lone surrogate in any key or string of a JSON document
    given inside a parameter or form field (reconciliation's ``queries=``): its JSON escapes
    (``\\ud800``) decode only once the route reads it. ``field`` prefixes the path named.

    >>> refuse_in_document({"q0": {"query": "某某"}}, "queries")
    >>> try:
    ...     refuse_in_document({"q0": {"query": "\\ud800"}}, "queries")
    ... except ApiError as exc:
    ...     exc.code, exc.field
    ('request.bad_characters', 'queries.q0.query')
    """
    for path, text in _strings(document, field):
        if bad(text):
            raise _refuse("field", path)


async def refuse_bad_characters(request: Request) -> None:
    """The app-wide dependency: 400 ``request.bad_characters`` for a NUL or lone surrogate anywhere in
    the request's parameters, headers or body (JSON or form)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and bad(value):
            raise _refuse("path parameter", name)
    if request.scope.get("query_string"):
        for name, value in request.query_params.multi_items():
            if bad(name) or bad(value):
                raise _refuse("query parameter", name if not bad(name) else "name")
    for raw_name, raw_value in request.headers.raw:
        if b"\x00" in raw_value:
            raise _refuse("header", raw_name.decode("latin-1"))
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS") or request.url.path in FILE_ROUTES:
        return  # (a file sent as the body is judged by the readers of files, whatever its Content-Type says)
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        data = await request.body()  # read once already: the route's own body
        if _ESCAPE.search(data) is None:
            return
        try:
            document = json.loads(data)
        except ValueError:
            return  # the route's own validation answers a body that is not JSON
        for path, text in _strings(document, ""):
            if bad(text):
                raise _refuse("body field", path or "body")
    elif content_type.startswith("application/x-www-form-urlencoded"):
        for name, value in parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True):
            if bad(name) or bad(value):
                raise _refuse("form field", name if not bad(name) else "name")
