"""Search: ``GET /api/v1/search`` and ``GET /api/v1/search/autocomplete``, elements filtered by the
caller's security level."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from jjjcredit.core.sharing import access
from jjjcredit.services.library import search
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/search", tags=["search"])


def _hits(hits: list[search.Hit], caller: access.Caller) -> list[dict[str, Any]]:
    allowed = access.visible_elements(caller.level) | {"uscc"}
    return [{"code": h.code, "name": h.name, "score": h.score, "match": h.match,
             "organization": {k: v for k, v in h.organization.items() if k in allowed and v is not None}}
            for h in hits]


@router.get("")
def search_organizations(request: Request, q: str = "", region: str | None = None, department: str | None = None,
                         status: str | None = None, limit: int = 20,
                         caller: access.Caller = Depends(caller_for("search"))) -> dict[str, Any]:
    """Organizations by name (exact, prefix, fuzzy, with or without the region), pinyin initials or
    code prefix; filters: region (GB/T 2260 digits), department (code position 1), status."""
    filters = search.match_filters(region, department, status)
    with request.app.state.engine.connect() as conn:
        hits = search.search_organizations(conn, q, filters, limit)
    return {"query": q, "results": _hits(hits, caller), "level": caller.level}


@router.get("/autocomplete")
def autocomplete(request: Request, q: str = "", limit: int = 10,
                 caller: access.Caller = Depends(caller_for("search"))) -> dict[str, Any]:
    """Completions of a name, its initials or a code as typed so far."""
    with request.app.state.engine.connect() as conn:
        hits = search.autocomplete(conn, q, limit=limit)
    return {"query": q, "results": [{"code": h.code, "name": h.name, "match": h.match} for h in hits]}
