"""Search: ``GET /api/v1/search`` and ``GET /api/v1/search/autocomplete``, hits holding the elements
the caller sees (services/sharing/disclosure.py); the query said back with personal numbers masked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.sharing import access
from jjjcredit.services.library import search
from jjjcredit.services.sharing import disclosure
from jjjcredit.web import errors
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/search", tags=["search"])
RAISES = errors.raises("search.empty_query", "search.bad_filter", "search.bad_limit")
#: The range the service accepts (search.bad_limit outside it), documented without FastAPI checking it first.
LIMIT_RANGE = {"minimum": 1, "maximum": search.MAX_LIMIT}


def _hits(hits: list[search.Hit]) -> list[dict[str, Any]]:
    return [{"code": h.code, "name": h.name, "score": h.score, "match": h.match, "organization": h.organization}
            for h in hits]


@router.get("", responses=RAISES)
def search_organizations(request: Request, q: str = "", region: str | None = None, department: str | None = None,
                         status: str | None = None,
                         limit: int = Query(20, json_schema_extra=LIMIT_RANGE),
                         caller: access.Caller = Depends(caller_for("search"))) -> dict[str, Any]:
    """Organizations by name (exact, prefix, fuzzy, with or without the region), pinyin initials or
    code prefix; filters: region (GB/T 2260 digits), department (code position 1), status."""
    filters = search.match_filters(region, department, status)
    with request.app.state.engine.connect() as conn:
        hits = disclosure.search_organizations(conn, caller, q, filters, limit)
    request.state.codes = [h.code for h in hits]
    return {"query": shown_personal(q), "results": _hits(hits), "level": caller.level}


@router.get("/autocomplete", responses=RAISES)
def autocomplete(request: Request, q: str = "", limit: int = Query(10, json_schema_extra=LIMIT_RANGE),
                 caller: access.Caller = Depends(caller_for("search"))) -> dict[str, Any]:
    """Completions of a name, its initials or a code as typed so far."""
    with request.app.state.engine.connect() as conn:
        hits = disclosure.autocomplete(conn, caller, q, limit=limit)
    request.state.codes = [h.code for h in hits]
    return {"query": shown_personal(q), "results": [{"code": h.code, "name": h.name, "match": h.match} for h in hits]}
