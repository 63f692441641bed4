"""The change feed: ``GET /api/v1/changes?after=SEQ&limit=N`` — the elements the caller sees
(services/sharing/disclosure.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import disclosure
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/changes", tags=["changes"])


@router.get("")
def changes_after(request: Request, after: int = Query(0, ge=0, le=2**63 - 1),  # a 64-bit sequence
                  limit: int = Query(1000, ge=1, le=10_000),
                  caller: access.Caller = Depends(caller_for("changes"))) -> dict[str, Any]:
    """Committed changes after sequence number ``after``, in order; ask again with the last ``seq``."""
    with request.app.state.engine.connect() as conn:
        events = disclosure.changes_after(conn, caller, after, limit)
    request.state.codes = [e["uscc"] for e in events]
    return {"changes": events, "next_after": events[-1]["seq"] if events else after}
