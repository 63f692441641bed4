"""The one error shape of the API, for every failure — FastAPI's own validation errors included:

    {"errors": [{"code": "...", "message": "...", "field": "...", "row": null}]}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("jjjcredit.web")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}
        self.extra = extra or {}


def body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message, "field": field, "row": None, **extra}]}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        request.state.outcome = exc.code  # for the audit trail
        return JSONResponse(body(exc.code, exc.message, exc.field, **exc.extra), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        request.state.outcome = "request.invalid"
        errors = []
        for e in exc.errors():
            where = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
            row = next((int(p) for p in where if p.isdigit()), None)
            errors.append({"code": "request.invalid", "message": f"{e.get('msg', 'invalid')}.",
                           "field": ".".join(where) or None, "row": row})
        return JSONResponse({"errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "request.not_found", 405: "request.method"}.get(exc.status_code, "request.http")
        request.state.outcome = code
        return JSONResponse(body(code, str(exc.detail)), exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return internal(request, exc)


def internal(request: Request, exc: Exception) -> JSONResponse:
    """An unexpected error: logged with its traceback and the request id, answered without either."""
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc,
              extra={"code": "internal", "request_id": getattr(request.state, "request_id", None)})
    request.state.outcome = "internal"
    return JSONResponse(body("internal", "An unexpected error; it has been logged."), 500)
