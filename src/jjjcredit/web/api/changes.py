"""The change feed: ``GET /api/v1/changes?after=SEQ&limit=N`` — elements filtered by the caller's rights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from jjjcredit.core.sharing import access
from jjjcredit.services.library import library
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/changes", tags=["changes"])


@router.get("")
def changes_after(request: Request, after: int = Query(0, ge=0), limit: int = Query(1000, ge=1, le=10_000),
                  caller: access.Caller = Depends(caller_for("changes"))) -> dict[str, Any]:
    """Committed changes after sequence number ``after``, in order; ask again with the last ``seq``."""
    allowed = access.visible_elements(caller.level)
    with request.app.state.engine.connect() as conn:
        events = library.changes_after(conn, after, limit)
    for event in events:
        event["elements"] = [e for e in event["elements"] if e["element"] in allowed]
    return {"changes": events, "next_after": events[-1]["seq"] if events else after}
