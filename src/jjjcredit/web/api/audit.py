"""The audit trail's checkpoints: ``GET /api/v1/audit/checkpoints`` — the signed heads of the chain,
oldest first, a JSON list, a page at a time (``Link: <…?after=SEQ…>; rel="next"`` while more follow).
Published under the ``verify`` service, as the signing keys are (public): a checkpoint names a position
and a hash of the trail, never an entry. Save them outside the platform and check the trail against
them with ``jjjcredit audit verify --checkpoints FILE``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import audit
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


#: Checkpoints a page holds at most: over a year of them at the writer's default interval (an hour).
CHECKPOINT_PAGE = 10_000


@router.get("/checkpoints")
def list_checkpoints(request: Request, response: Response,
                     after: int = Query(0, ge=0, le=2**63 - 1, description="Only checkpoints of entries after "
                                        "this seq (the last seq of the page before; 0: from the first)."),
                     limit: int = Query(CHECKPOINT_PAGE, ge=1, le=CHECKPOINT_PAGE,
                                        description="Checkpoints in the page at most."),
                     caller: access.Caller = Depends(caller_for("verify"))) -> list[dict[str, Any]]:
    """The checkpoints after ``after``, oldest first, at most ``limit``: ``seq`` and ``hash`` of the trail's last
    entry at ``at`` (UTC), signed (Ed25519 over RFC 8785 of {kind: "jjjcredit.audit.checkpoint", seq, hash, at,
    key_id}) with the key ``key_id`` of /api/v1/keys. A full page carries ``Link: <…>; rel="next"`` (RFC 8288)
    to the next one; the pages joined are the list ``jjjcredit audit checkpoints`` prints."""
    with request.app.state.engine.connect() as conn:
        page = audit.list_checkpoints(conn, after=after, limit=limit + 1)
    if len(page) > limit:
        page = page[:limit]
        following = request.url.include_query_params(after=page[-1]["seq"], limit=limit)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return page
