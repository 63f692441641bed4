"""A credit subject's own view: ``POST /api/v1/me/session`` (the subject — a unified social credit code
or a natural person's identity number, in the body, never the URL — and the one-time code
``jjjcredit subjects code`` gave it: a session token), then, with ``Authorization: Bearer TOKEN``,
``GET /api/v1/me/records`` (all its own records, what is public and until when) and
``GET /api/v1/me/queries`` (who looked at it). services/sharing/subjects.py does the work; the records
come through the one redaction point (services/sharing/disclosure.py)."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import subjects as rules
from jjjcredit.core.sharing.evidence import KeyBox
from jjjcredit.services.sharing import disclosure, personal_keys, subjects
from jjjcredit.web import threads
from jjjcredit.web.access import caller_for, limit_public
from jjjcredit.web.api.credit import day_of
from jjjcredit.web.errors import raises

router = APIRouter(prefix="/api/v1/me", tags=["the subject's own view"])


class SessionAsked(BaseModel):
    subject: str = Field(max_length=64, description="The unified social credit code, or the natural person's "
                         "identity number.")
    code: str = Field(max_length=16, description="The one-time code sent to the person or the registered "
                      "representative.")


def _open(engine: Engine, box: KeyBox | None, subject: str, code: str, now: datetime.datetime) -> subjects.Session:
    with engine.begin() as conn:
        protector = personal_keys.protector(conn, box)
    return subjects.open_session(engine, subject, code, protector, now)


@router.post("/session", responses=raises("subjects.code_refused"))
async def open_session(request: Request, asked: SessionAsked,
                       caller: access.Caller = Depends(caller_for("records"))) -> dict[str, Any]:
    """Open a subject's session with its one-time code: the token (valid 30 minutes) goes in
    ``Authorization: Bearer …`` of the calls below. A wrong, spent or expired code, or one past its
    five tries, gets one and the same refusal."""
    state = request.app.state
    session = await threads.run(request, _open, state.engine, state.key_box, asked.subject, asked.code, state.now())
    request.state.codes = [session.subject_key]
    if caller.public:  # the subject itself opened it (its log says "self", not "the public"); a key keeps its client
        request.state.caller = subjects.subject_caller(session.subject_key)
    return {"subject": session.subject_key, "token": session.token,
            "expires_at": session.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _caller(engine: Engine, token: str, now: datetime.datetime) -> access.Caller | None:
    with engine.begin() as conn:
        return subjects.caller_of(conn, token, now)


async def subject_session(request: Request) -> access.Caller:
    """The subject whose session token the call bears (``Authorization: Bearer …``). The call carries no API
    key: it is counted against its address at the public's rate, as every call without a key is."""
    await limit_public(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise rules.SubjectError("subjects.session_required", "The own view needs the subject's session token in "
                                 "Authorization: Bearer … (POST /api/v1/me/session with a one-time code gives one).",
                                 field="Authorization")
    state = request.app.state
    caller = await threads.run(request, _caller, state.engine, token.strip(), state.now())
    if caller is None:
        raise rules.SubjectError("subjects.session_expired", "The session token is unknown or its session is over: "
                                 "open a new one with a new one-time code.", field="Authorization")
    request.state.caller = caller
    request.state.codes = [subjects.subject_key_of(caller)]
    return caller


subject_session.service = "records"  # type: ignore[attr-defined]  # what the audit trail files the call under

_SESSION = ("subjects.session_required", "subjects.session_expired", "access.rate_limited")


def _records(engine: Engine, box: KeyBox | None, caller: access.Caller, as_of: datetime.date | None,
             today: datetime.date, page: tuple[int, int]) -> dict[str, Any]:
    with engine.begin() as conn:
        return disclosure.subject_records(conn, caller, subjects.subject_key_of(caller),
                                          personal_keys.protector(conn, box), as_of=as_of, today=today, page=page)


@router.get("/records", responses=raises(*_SESSION, "usage.date", "credit.no_secret"))
async def own_records(request: Request,
                      as_of: str | None = Query(None, max_length=10, description="Ask about a past day "
                                                "(YYYY-MM-DD, in Beijing). Default: today."),
                      offset: int = Query(0, ge=0, le=10_000_000, description="The first record of the page "
                                          "(records counted item by item, newest first)."),
                      limit: int = Query(1000, ge=1, le=5000, description="Records in the page at most; "
                                         "`next_offset` says where the next page starts (null: the last)."),
                      caller: access.Caller = Depends(subject_session)) -> dict[str, Any]:
    """The subject's own records, every version, identity numbers in clear, a page at a time (``records``: all of
    them); each says whether it is public that day and the last day of its public window (``public_until``)."""
    state = request.app.state
    answer = await threads.run(request, _records, state.engine, state.key_box, caller, day_of(as_of), state.today(),
                               (offset, limit))
    request.state.items = [group["item"] for group in answer["items"]]
    return answer


def _queries(engine: Engine, caller: access.Caller, retention_days: int, before: int | None, limit: int,
             now: datetime.datetime) -> dict[str, Any]:
    with engine.begin() as conn:
        return subjects.query_log(conn, subjects.subject_key_of(caller), retention_days, before=before, limit=limit,
                                  now=now)


@router.get("/queries", responses=raises(*_SESSION))
async def own_queries(request: Request,
                      before: int | None = Query(None, ge=1, description="Only entries before this seq (the last "
                                                 "seq of the previous page)."),
                      limit: int = Query(subjects.QUERY_PAGE, ge=1, le=subjects.QUERY_PAGE),
                      caller: access.Caller = Depends(subject_session)) -> dict[str, Any]:
    """Who looked at the subject, newest first: every call about it in the audit trail within the
    retention period — an application party by name, the staff, the public by its address class, the
    subject itself — with the service, purpose, catalogue items, time and outcome."""
    state = request.app.state
    return await threads.run(request, _queries, state.engine, caller, state.audit_retention_days, before, limit,
                             state.now())
