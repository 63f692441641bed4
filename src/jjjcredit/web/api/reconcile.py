"""Reconciliation at ``/reconcile`` (W3C reconciliation API 0.2, for OpenRefine): the manifest,
query batches (GET or POST ``queries=``), an HTML preview per code, and suggest."""

from __future__ import annotations

import html
import json
import sys
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from jjjcredit import __version__
from jjjcredit.core.limits import Limits
from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import reconcile
from jjjcredit.web import characters, errors, threads
from jjjcredit.web.access import caller_for, charge_batch
from jjjcredit.web.errors import ApiError
from jjjcredit.web.limits import check_json_depth

router = APIRouter(prefix="/reconcile", tags=["reconcile"])
#: What a batch of queries is refused with (services/sharing/reconcile.py, web/limits.py).
BATCH_RAISES = errors.raises("reconcile.bad_queries", "reconcile.query_too_long", "reconcile.too_many",
                             "request.too_deep")
#: What OpenRefine posts (the route reads the form itself): documented for /docs and for clients.
FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["queries"],
    "properties": {"queries": {"type": "string", "description": "A JSON object of queries, e.g. "
                                                                '{"q0": {"query": "某某有限公司"}}.'}}}}}}


def _manifest(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {"versions": ["0.2"], "name": "jjjcredit unified social credit code library", "serviceVersion": __version__,
            "identifierSpace": "urn:jjjcredit:uscc", "schemaSpace": "urn:jjjcredit:elements",
            "defaultTypes": [reconcile.TYPE], "view": {"url": f"{base}/api/v1/organizations/{{{{id}}}}"},
            "preview": {"url": f"{base}/reconcile/preview/{{{{id}}}}", "width": 400, "height": 120},
            "suggest": {"entity": {"service_url": base, "service_path": "/reconcile/suggest/entity"},
                        "type": {"service_url": base, "service_path": "/reconcile/suggest/type"},
                        "property": {"service_url": base, "service_path": "/reconcile/suggest/property"}}}


async def _answer(request: Request, caller: access.Caller, queries: str) -> dict[str, Any]:
    """A batch checked (nesting, size, each text) before any query is answered; a batch of N queries counts N
    calls against the rate limit (its address's without a key, its client's with one)."""
    limits = request.app.state.limits
    check_json_depth(queries, limits, field="queries")
    try:
        batch = json.loads(queries, parse_constant=_not_json, parse_int=_whole)
    except json.JSONDecodeError as exc:
        raise ApiError("reconcile.bad_queries", f"queries is not JSON ({exc.msg} at character {exc.pos + 1}).",
                       field="queries", position=exc.pos + 1) from exc
    characters.refuse_in_document(batch, "queries")
    await charge_batch(request, reconcile.check_queries(batch, limits) - 1)  # the call itself counted one
    answer: dict[str, Any] = await threads.run(request, _reconcile, request.app.state.engine, caller, batch, limits)
    request.state.codes = _codes(answer.values())
    return answer


def _not_json(constant: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity``: Python's reader takes them, JSON has no such numbers."""
    raise ApiError("reconcile.bad_queries", f"queries holds {constant}, which is not a JSON number: give a limit "
                   "as a whole number of results, e.g. \"limit\": 5.", field="queries")


def _whole(digits: str) -> int:
    """A whole number, refused past the digits Python turns into a number (4,300 unless configured)."""
    most, n = sys.get_int_max_str_digits(), len(digits.lstrip("-"))
    if most and n > most:
        raise ApiError("reconcile.bad_queries", f"queries holds a number of {n:,} digits; at most {most:,} are "
                       'read: give a limit as a whole number of results, e.g. "limit": 5.', field="queries")
    return int(digits)


def _reconcile(engine: Engine, caller: access.Caller, batch: Any, limits: Limits) -> dict[str, Any]:
    with engine.connect() as conn:
        return reconcile.reconcile_queries(conn, caller, batch, limits)


def _codes(answers: Any) -> list[str]:
    """The codes a reconciliation answer shows (for the audit trail)."""
    return [str(hit["id"]) for result in answers if isinstance(result, dict)
            for hit in result.get("result", ()) if isinstance(hit, dict) and "id" in hit]


@router.get("", responses=BATCH_RAISES)
async def reconcile_manifest(request: Request, queries: str | None = None,
                       caller: access.Caller = Depends(caller_for("reconcile"))) -> dict[str, Any]:
    """The service manifest; with ``queries=`` a batch of queries answered."""
    return _manifest(request) if queries is None else await _answer(request, caller, queries)


@router.post("", responses=BATCH_RAISES, openapi_extra={"requestBody": FORM})
async def reconcile_queries(request: Request,
                            caller: access.Caller = Depends(caller_for("reconcile"))) -> dict[str, Any]:
    """A batch of queries, sent as the form field ``queries`` (what OpenRefine posts)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    if "queries" not in form:
        raise ApiError("reconcile.bad_queries", "Send the batch as the form field queries= "
                       "(application/x-www-form-urlencoded).", field="queries")
    return await _answer(request, caller, form["queries"][0])


@router.get("/preview/{code}", response_class=HTMLResponse, responses=errors.raises("library.not_found"))
def reconcile_preview(code: str, request: Request,
                      caller: access.Caller = Depends(caller_for("reconcile"))) -> HTMLResponse:
    """A small HTML card of one organization (the elements the caller sees)."""
    with request.app.state.engine.connect() as conn:
        rows = reconcile.preview_organization(conn, caller, code)
    if rows is None:
        raise ApiError("library.not_found", f"No provider has sent {code}.")
    cells = "".join(f"<tr><th>{html.escape(zh)}</th><td>{html.escape(value)}</td></tr>" for zh, value in rows)
    title = html.escape(code.strip().upper())
    return HTMLResponse(f'<!doctype html><html lang="zh"><meta charset="utf-8"><title>{title}'
                        f'</title><body style="margin:0;font:13px sans-serif"><table>{cells}</table></body></html>')


@router.get("/suggest/entity")
def reconcile_suggest_entity(request: Request, prefix: str = "",
                             caller: access.Caller = Depends(caller_for("reconcile"))) -> dict[str, Any]:
    with request.app.state.engine.connect() as conn:
        answer = reconcile.suggest_entities(conn, caller, prefix)
    request.state.codes = _codes([answer])
    return answer


@router.get("/suggest/type")
def reconcile_suggest_type(prefix: str = "",
                           caller: access.Caller = Depends(caller_for("reconcile"))) -> dict[str, Any]:
    return reconcile.suggest_types(prefix)


@router.get("/suggest/property")
def reconcile_suggest_property(prefix: str = "",
                               caller: access.Caller = Depends(caller_for("reconcile"))) -> dict[str, Any]:
    return reconcile.suggest_properties(prefix)
