"""The one error shape of the API, for every failure — FastAPI's own validation errors included:

    {"errors": [{"code": "...", "message": "...", "field": "...", "row": null}]}

Any :class:`jjjcredit.core.errors.Error` a route or a service raises is answered here, with the HTTP
status the error table (``core/errors.py``) keeps beside its code; a ``position`` member is added
when the error has one. Routes never catch a service's errors to translate them.

:class:`Errors` is that shape as a schema: ``/openapi.json`` documents every error response with it
(web/openapi.py), and a route names the codes of its own errors with :func:`raises`.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jjjcredit.core import errors
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error
from jjjcredit.services import db

log = logging.getLogger("jjjcredit.web")


class ApiError(Error):
    """An error the web adapter raises itself, when it needs response ``headers`` (Retry-After) or
    ``extra`` members of the error object (suggestions). Its status is the table's, like every code's."""

    def __init__(self, code: str, message: str, *, field: str | None = None, position: int | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, field=field, position=position)
        self.headers = headers or {}
        self.extra = extra or {}


class ErrorItem(BaseModel):
    """One error of the one shape, as :func:`body` writes it."""

    model_config = ConfigDict(extra="forbid", title="Error")
    code: str = Field(description="The stable error code: docs/errors.md lists each with its meaning.")
    message: str = Field(description="What was found, where, what was expected and what to do next.")
    field: str | None = Field(description="The parameter, header or body field it applies to (items.0.name).")
    row: int | None = Field(description="The row of data it applies to, as the user numbers it.")
    position: int | None = Field(None, description="The 1-based character it applies to: in a code (identifier "
                                                   "findings) or in a body that is not JSON.")
    suggestions: list[str] = Field([], description="An invalid code: the likely corrections, most likely first.")


class Errors(BaseModel):
    """Every failure: the errors found, at least one."""

    model_config = ConfigDict(extra="forbid", title="Errors")
    errors: list[ErrorItem] = Field(min_length=1)


def raises(*codes: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route, naming the codes of the errors it raises itself (web/openapi.py adds
    the ones every route, service and parameter brings, and writes each status in the one shape)."""
    found: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status = errors.ERROR_CODES[code].http_status  # a code missing from the table fails at import
        found.setdefault(status, {"x-error-codes": []})["x-error-codes"].append(code)
    return found


def body(code: str, message: str, field: str | None = None, row: int | None = None, **extra: Any) -> dict[str, Any]:
    """The one error shape; a personal number an error quotes from the request is masked (core/codes/personal)."""
    return {"errors": [{"code": code, "message": shown_personal(message), "field": field, "row": row, **extra}]}


def error_response(request: Request, exc: Error) -> JSONResponse:
    """Any core error as the one shape, with its code's status from the table."""
    request.state.outcome = exc.code  # for the audit trail
    status = errors.http_status(exc.code)
    if status >= 500:
        log.warning("%s: %s", exc.code, shown_personal(exc.message), extra={"code": exc.code,
                                                             "request_id": getattr(request.state, "request_id", None)})
    extra: dict[str, Any] = {} if exc.position is None else {"position": exc.position}
    extra.update(getattr(exc, "extra", None) or {})
    return JSONResponse(body(exc.code, exc.message, exc.field, exc.row, **extra), status,
                        headers=getattr(exc, "headers", None) or None)


def install(app: FastAPI) -> None:
    @app.exception_handler(Error)
    async def _error(request: Request, exc: Error) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        request.state.outcome = "request.invalid"
        return JSONResponse({"errors": [_invalid(e) for e in exc.errors()]}, errors.http_status("request.invalid"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        unread = unreadable_body(exc.__cause__) if exc.status_code == 400 else None
        if unread is not None:
            return error_response(request, unread)
        code = {404: "request.not_found", 405: "request.method"}.get(exc.status_code, "request.http")
        request.state.outcome = code
        return JSONResponse(body(code, str(exc.detail)), exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    # the busiest reads (a key's rights, a lookup, a verification) query the driver directly: its own errors
    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(psycopg.InterfaceError)
    @app.exception_handler(sqlite3.OperationalError)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        return unavailable(request, exc)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return internal(request, exc)


def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database gone or not answering (a connection refused, dropped or timed out; SQLite's file
    locked past its wait): 503 ``db.unavailable`` with Retry-After, the driver's reason in the log only —
    an outage is told from a bug, and a client knows to retry."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    log.warning("database unavailable on %s %s: %s", request.method, shown_personal(request.url.path), reason,
                extra={"code": "db.unavailable", "request_id": getattr(request.state, "request_id", None)})
    if db.disk_full(exc):
        return error_response(request, ApiError("db.unavailable", "The database's disk is full: nothing of this call "
                                                "was kept, and sending it again helps only once the operator has "
                                                "freed space.", headers={"Retry-After": "300"}))
    return error_response(request, ApiError("db.unavailable", "The database does not answer just now: retry in a "
                                            "few seconds (a batch sent again changes nothing if it was kept).",
                                            headers={"Retry-After": "5"}))


def unreadable_body(cause: BaseException | None) -> Error | None:
    """Why a JSON body could not be read, when FastAPI says only "There was an error parsing the body"
    (a 400 raised from the reader's own exception): bytes that are not UTF-8, a number past the digits
    Python reads, nesting past what the parser follows (under a raised JJJCREDIT_LIMIT_JSON_DEPTH).

    >>> try:
    ...     b'{"name": "\\xe4"}'.decode("utf-8")
    ... except UnicodeDecodeError as exc:
    ...     found = unreadable_body(exc)
    >>> found.code, found.position
    ('request.invalid', 11)
    """
    if isinstance(cause, UnicodeDecodeError):
        return Error("request.invalid", f"The body is not UTF-8 text: byte {cause.start + 1} begins or continues no "
                     "character; send JSON in UTF-8.", position=cause.start + 1)
    if isinstance(cause, RecursionError):
        return Error("request.too_deep", "The JSON body nests deeper than the reader can follow; send flat objects "
                     "(setting JJJCREDIT_LIMIT_JSON_DEPTH).")
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return Error("request.invalid", "The body holds a number of more digits than are read (4,300); send "
                     "codes and long numbers as text, in quotes.")
    return None


def _invalid(e: Any) -> dict[str, Any]:
    """One of FastAPI's validation errors in the one shape. A body that is not JSON at all names the
    1-based character where reading stopped as ``position``: ``row`` is only ever a row of data."""
    loc = tuple(e.get("loc", ()))
    if e.get("type") == "json_invalid":
        offset = next((p for p in loc if isinstance(p, int)), None)
        position = offset + 1 if offset is not None else None
        reason = (e.get("ctx") or {}).get("error") or "invalid JSON"
        where = f" at character {position}" if position is not None else ""
        return {"code": "request.invalid", "message": f"The body is not JSON: {reason}{where}.", "field": None,
                "row": None, "position": position}
    names = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    row = next((int(p) for p in names if p.isdigit()), None)
    return {"code": "request.invalid", "message": f"{e.get('msg', 'invalid')}.", "field": ".".join(names) or None,
            "row": row}


def internal(request: Request, exc: Exception) -> JSONResponse:
    """An unexpected error: logged with its traceback and the request id, answered without either."""
    log.error("internal error on %s %s", request.method, shown_personal(request.url.path), exc_info=exc,
              extra={"code": "internal", "request_id": getattr(request.state, "request_id", None)})
    request.state.outcome = "internal"
    return JSONResponse(body("internal", "An unexpected error; it has been logged."), errors.http_status("internal"))
