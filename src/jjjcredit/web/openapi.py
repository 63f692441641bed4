"""The API's own description, ``/openapi.json`` (and /docs, /redoc): what FastAPI generates, finished in
one place so that it says what the server does.

- Every error status a route can give is documented with the one error shape (:class:`errors.Errors`),
  its codes listed (``x-error-codes``, each in docs/errors.md): what every route can meet (the sizes of
  web/limits.py, the characters of web/characters.py, ``internal``, ``db.unavailable``), what the route's service brings
  (the key, the purpose and the rate limit: web/access.py), ``request.invalid`` where FastAPI validates
  parameters or a body (in place of FastAPI's own ``{"detail": ...}``), ``request.not_found`` where a path
  parameter holding ``/`` names another URL, and the codes the route declares with ``errors.raises``.
- The API key is a security scheme (``ApiKey``, the header web/access.py reads): needed by a service
  the public cannot use, optional on the others (``{}`` first: they answer without one), beside the
  ``X-Purpose`` header that every call with a key states.
"""

from __future__ import annotations

import http
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from jjjcredit.core import errors as error_table
from jjjcredit.core.limits import Limits
from jjjcredit.core.sharing import access as rights
from jjjcredit.web import access, characters, errors, limits
from jjjcredit.web.audit import service_of

SCHEME = "ApiKey"
ERRORS_REF = "#/components/schemas/Errors"
#: What any request can be refused with, whatever its route.
EVERY_ROUTE = (*limits.CODES, characters.CODE, "internal", "db.unavailable")


def install(app: FastAPI, bounds: Limits) -> None:
    """Finish the app's generated description the first time it is asked for (and again should its routes
    change: FastAPI then generates it anew)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        if SCHEME not in schema.get("components", {}).get("securitySchemes", {}):
            describe(schema, app.routes, bounds)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe(schema: dict[str, Any], routes: Iterable[BaseRoute], bounds: Limits) -> None:
    """Errors, the key and the purpose, written into ``schema`` (FastAPI's description of ``routes``)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, which the server never sends
        schemas.pop(name, None)
    shape = errors.Errors.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(shape.pop("$defs"))
    schemas["Errors"] = shape
    components["securitySchemes"] = {SCHEME: {
        "type": "apiKey", "in": "header", "name": access.KEY_HEADER,
        "description": "A client's API key (`jjjcredit clients add`). Without one, the public services (lookup, "
                       "search, verify, reconcile) answer at security level 1, rate-limited per address; with one, "
                       f"state the purpose of each call in {access.PURPOSE_HEADER}."}}
    for path, route in _api_routes(routes):
        for method in route.methods or ():
            _describe_operation(schema["paths"][path][method.lower()], route, bounds)


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, APIRoute]]:
    """Each route of the description with the path it is published at. FastAPI from 0.16x keeps an included
    router whole in ``app.routes`` and walks it with ``iter_route_contexts``; before, the routes are flat."""
    walk = getattr(routing, "iter_route_contexts", None)
    for context in walk(list(routes)) if walk is not None else routes:
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield str(getattr(context, "path_format", route.path_format)), route


def _describe_operation(operation: dict[str, Any], route: APIRoute, bounds: Limits) -> None:
    responses: dict[str, Any] = operation["responses"]
    codes = list(EVERY_ROUTE)
    if "422" in responses:  # FastAPI validates parameters or a body here
        codes.append("request.invalid")
    if route.param_convertors:
        codes.append("request.not_found")
    service = service_of(route)
    if service != "none":
        codes += access.codes_of(service)
        operation["security"] = [{SCHEME: []}] if service not in rights.PUBLIC_SERVICES else [{}, {SCHEME: []}]
        operation.setdefault("parameters", []).append({
            "name": access.PURPOSE_HEADER, "in": "header", "required": False,
            "description": "Required with an API key: why the call is made, kept in the audit trail (UTF-8, raw "
                           "or percent-encoded).", "schema": {"type": "string", "maxLength": bounds.purpose_chars}})
    for key, response in list(responses.items()):
        if not key.startswith("2"):
            codes += response.get("x-error-codes", ())
            del responses[key]
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(error_table.http_status(code), []).append(code)
    for status, group in sorted(by_status.items()):
        responses[str(status)] = _response(status, group)


def _response(status: int, codes: list[str]) -> dict[str, Any]:
    listed = "".join(f"\n- `{code}`: {error_table.ERROR_CODES[code].meaning}" for code in codes)
    response: dict[str, Any] = {"description": f"{http.HTTPStatus(status).phrase}, in the one error shape:\n{listed}",
                                "x-error-codes": codes,
                                "content": {"application/json": {"schema": {"$ref": ERRORS_REF}}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds until a call is admitted again.",
                                               "schema": {"type": "integer"}}}
    return response
