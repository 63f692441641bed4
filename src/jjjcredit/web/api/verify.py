"""Identity authentication: ``POST /api/v1/verify`` and ``/verify/batch`` (up to 10,000 items).

Every answer carries an ``evidence`` object (services/sharing/evidence.py): a detached Ed25519 signature over
RFC 8785 (JCS) of the request, the answer, the library sequence, the time and the key id. A server
without the operator's secret for the signing keys answers 503 ``evidence.no_secret``.
A batch gets one signature over the whole batch answer (``{"answers": [...]}``) and the whole
request (``{"items": [...]}``, each item with all four fields, ``null`` where not given).

A batch is answered set-wise by ``services/sharing/verify.py`` and served as the JSON its signature was made
over (serialized once, not validated again): :class:`VerifyBatchAnswer` documents that body.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from fastapi import APIRouter, Depends, Request, Response
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError
from sqlalchemy import Engine
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from jjjcredit.core.library.transforms import TransformError
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import verify as verdicts
from jjjcredit.services.sharing import evidence, verify
from jjjcredit.web import errors, threads
from jjjcredit.web.access import caller_for, charge_batch_here

router = APIRouter(prefix="/api/v1/verify", tags=["verify"])
BATCH_LIMIT = 10_000
#: A public batch counts one call against its address's rate limit per this many questions (rounded up).
QUESTIONS_PER_CALL = 100
#: Nothing is signed without the operator's secret for the signing keys.
RAISES = errors.raises("evidence.no_secret", "evidence.bad_secret")

ON = ("Optionally, a day: was it true then? Any way the platform reads dates (20230301, 2023-03-01, "
      "2023/3/1, 2023年3月1日); answered as YYYYMMDD.")


def _day(value: str | None) -> str | None:
    """``on`` as ``YYYYMMDD``, or a 422 saying why it is not a day (core/sharing/verify.py: ``day``)."""
    if value is None:
        return None
    try:
        return verdicts.day(value)
    except TransformError as e:
        raise PydanticCustomError(e.code, e.message.rstrip(".")) from None


Day = Annotated[str | None, Field(max_length=40, description=ON), AfterValidator(_day)]


class VerifyRequest(BaseModel):
    code: str = Field(max_length=200, description="The code, as typed or pasted.")
    name: str = Field(max_length=400, description="The organization's name to check.")
    legal_rep: str | None = Field(None, max_length=200, description="Optionally, the legal representative.")
    on: Day = None

    def question(self) -> verify.Question:
        return verify.Question(self.code, self.name, self.legal_rep, self.on)


# A typed dict rather than a model: ten thousand are checked several times faster.
class VerifyItem(TypedDict):
    """One question of a batch: the fields of ``POST /verify``."""

    code: Annotated[str, Field(max_length=200, description="The code, as typed or pasted.")]
    name: Annotated[str, Field(max_length=400, description="The organization's name to check.")]
    legal_rep: NotRequired[Annotated[str | None, Field(max_length=200,
                                                       description="Optionally, the legal representative.")]]
    on: NotRequired[Day]


class VerifyBatch(BaseModel):
    items: list[VerifyItem] = Field(max_length=BATCH_LIMIT)


class CodeError(BaseModel):
    code: str = Field(description="The identifier core's error code, e.g. uscc.checksum.")
    message: str
    position: int | None = Field(description="1-based position in the compact code, where it applies.")


class VerifyAnswer(BaseModel):
    """One answer; which fields it has depends on the verdict."""

    code: str = Field(description="The code in compact form.")
    verdict: Literal["match", "status_unknown", "legal_rep_mismatch", "revoked", "deregistered", "former_name",
                     "name_mismatch", "not_established", "not_found", "invalid_code"] = Field(
        description="match: the code, the name (now or on the day asked) and the legal representative (when "
                    "asked) belong to an organization in good standing. status_unknown: all right, but no status "
                    "is held. legal_rep_mismatch: the name is right, the legal representative is not. "
                    "revoked / deregistered: the name is right, the organization has ended. former_name: a name "
                    "it carried before. name_mismatch: not its name. not_established: the day asked is before "
                    "it was established. not_found: a valid code no provider has sent. invalid_code: the code "
                    "breaks GB 32100.")
    status: str | None = Field(None, description="Found: the status code (1 normal … 4 deregistered), if known.")
    status_name: str | None = Field(None, description="Found: the status in English.")
    active: bool | None = Field(None, description="Found: false when deregistered or revoked, null when the "
                                                  "status is unknown.")
    established: str | None = Field(None, description="not_established: the day (YYYYMMDD) it was established.")
    current_name: str | None = Field(None, description="former_name: the name now (or on the day asked).")
    changed: str | None = Field(None, description="former_name: the day (YYYYMMDD) the name asked was replaced.")
    legal_rep_match: bool | None = Field(None, description="Found, legal_rep asked: whether it matches.")
    error: CodeError | None = Field(None, description="invalid_code: the first error.")
    suggestions: list[str] | None = Field(None, description="invalid_code: likely corrections, most likely first.")
    message: str | None = Field(None, description="not_found: why.")


class Evidence(BaseModel):
    """A detached Ed25519 signature over the request, the answer (the body without ``evidence``), the
    library sequence and the time; ``jjjcredit evidence verify`` checks it offline."""

    key_id: str
    algorithm: str
    version: int = Field(description="2: signed over RFC 8785 (JCS) of request, answer, library_seq, time, key_id.")
    library_seq: int
    time: str
    request: dict[str, Any]
    signature: str


class VerifyBatchAnswer(BaseModel):
    answers: list[VerifyAnswer]
    evidence: Evidence


def _signed_answer(engine: Engine, box: evidence.KeyBox | None, item: VerifyRequest) -> dict[str, Any]:
    # begin: the first answer creates the signing key. Without the operator secret (or with the wrong one)
    # signing raises evidence.no_secret / bad_secret: 503 by the error table, the rest of the API keeps working.
    with engine.begin() as conn:
        return evidence.sign_answer(conn, box, item.model_dump(), verify.verify_identity(conn, item.question()))


@router.post("", responses=RAISES)
async def verify_identity(item: VerifyRequest, request: Request,
                          caller: access.Caller = Depends(caller_for("verify"))) -> dict[str, Any]:
    """Does this code belong to this name (and legal representative), now or on a given day?"""
    body = await threads.run(request, _signed_answer, request.app.state.engine, request.app.state.key_box,
                             item)  # web/threads.py
    request.state.codes = [body["code"]]
    return body


@router.post("/batch", response_model=VerifyBatchAnswer, responses=RAISES)
def verify_batch(batch: VerifyBatch, request: Request,
                 caller: access.Caller = Depends(caller_for("verify"))) -> Response:
    """Up to 10,000 questions, each answered independently, in order. Every 100 questions (rounded up) count
    as one call against the rate limit: the address's without a key, the client's with one."""
    charge_batch_here(request, -(-len(batch.items) // QUESTIONS_PER_CALL) - 1)  # the call itself counted one
    questions = [verify.Question(i["code"], i["name"], i.get("legal_rep"), i.get("on")) for i in batch.items]
    with request.app.state.engine.begin() as conn:
        answers = verify.verify_many(conn, questions)
        request.state.codes = [a["code"] for a in answers]
        return Response(verify.sign_many(conn, request.app.state.key_box, questions, answers),
                        media_type="application/json")
