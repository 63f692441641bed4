"""Identity authentication: ``POST /api/v1/verify`` and ``/verify/batch`` (up to 10,000 items)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from jjjcredit.core import access
from jjjcredit.services import verify
from jjjcredit.web.access import caller_for

router = APIRouter(prefix="/api/v1/verify", tags=["verify"])
BATCH_LIMIT = 10_000


class VerifyRequest(BaseModel):
    code: str = Field(max_length=200, description="The code, as typed or pasted.")
    name: str = Field(max_length=400, description="The organization's name to check.")
    legal_rep: str | None = Field(None, max_length=200, description="Optionally, the legal representative.")
    on: str | None = Field(None, pattern=r"^[0-9]{8}$", description="Optionally, a day YYYYMMDD: true then?")

    def question(self) -> verify.Question:
        return verify.Question(self.code, self.name, self.legal_rep, self.on)


class VerifyBatch(BaseModel):
    items: list[VerifyRequest] = Field(max_length=BATCH_LIMIT)


@router.post("")
def verify_identity(item: VerifyRequest, request: Request,
                    caller: access.Caller = Depends(caller_for("verify"))) -> dict[str, Any]:
    """Does this code belong to this name (and legal representative), now or on a given day?"""
    with request.app.state.engine.connect() as conn:
        return verify.verify_identity(conn, item.question())


@router.post("/batch")
def verify_batch(batch: VerifyBatch, request: Request,
                 caller: access.Caller = Depends(caller_for("verify"))) -> dict[str, Any]:
    """Up to 10,000 questions, each answered independently, in order."""
    with request.app.state.engine.connect() as conn:
        answers = verify.verify_many(conn, [i.question() for i in batch.items])
    return {"answers": answers}
