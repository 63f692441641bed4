"""The audit trail's checkpoints: ``GET /api/v1/audit/checkpoints`` — the signed heads of the chain,
oldest first, a JSON list. Published under the ``verify`` service, as the signing keys are (public):
a checkpoint names a position and a hash of the trail, never an entry. Save it outside the platform
and check the trail against it with ``jjjcredit audit verify --checkpoints FILE``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import audit
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/checkpoints")
def list_checkpoints(request: Request, caller: access.Caller = Depends(caller_for("verify"))) -> list[dict[str, Any]]:
    """Every checkpoint: ``seq`` and ``hash`` of the trail's last entry at ``at`` (UTC), signed (Ed25519 over
    RFC 8785 of {kind: "jjjcredit.audit.checkpoint", seq, hash, at, key_id}) with the key ``key_id`` of
    /api/v1/keys."""
    with request.app.state.engine.connect() as conn:
        return audit.list_checkpoints(conn)
