"""Evidence: ``GET /api/v1/keys`` — the public keys that sign verification answers, retired ones
included (so an answer signed before a rotation still verifies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import evidence
from jjjcredit.web import errors
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1", tags=["evidence"])


@router.get("/keys", responses=errors.raises("evidence.bad_secret"))  # a key is made: it must be sealed
def public_keys(request: Request, caller: access.Caller = Depends(caller_for("verify"))) -> dict[str, Any]:
    """Every signing key: ``key_id``, ``algorithm`` (Ed25519), PEM ``public_key``, ``created_at``,
    ``retired_at`` (``null`` for the current key). Save a copy to check answers offline. A server
    without the operator's secret publishes the keys there are, and makes none."""
    with request.app.state.engine.begin() as conn:
        if request.app.state.key_box is not None:
            evidence.current_key(conn, request.app.state.key_box)  # there is always a key to publish
        return {"keys": evidence.public_keys(conn)}
