"""Identity authentication: ``POST /api/v1/verify`` and ``/verify/batch`` (up to 10,000 items).

Every answer carries an ``evidence`` object (services/evidence.py): a detached Ed25519 signature over
the request, the answer, the library sequence and the time. A batch gets one signature over the whole
batch answer (``{"answers": [...]}``) and the whole request (``{"items": [...]}``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from jjjcredit.core import access
from jjjcredit.services import evidence, verify
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
    with request.app.state.engine.begin() as conn:  # begin: the first answer creates the signing key
        answer = verify.verify_identity(conn, item.question())
        request.state.codes = [answer["code"]]
        return evidence.sign_answer(conn, item.model_dump(), answer)


@router.post("/batch")
def verify_batch(batch: VerifyBatch, request: Request,
                 caller: access.Caller = Depends(caller_for("verify"))) -> dict[str, Any]:
    """Up to 10,000 questions, each answered independently, in order."""
    with request.app.state.engine.begin() as conn:
        answers = verify.verify_many(conn, [i.question() for i in batch.items])
        request.state.codes = [a["code"] for a in answers]
        return evidence.sign_answer(conn, batch.model_dump(), {"answers": answers})
