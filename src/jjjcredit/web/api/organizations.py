"""Lookup: ``GET /api/v1/organizations/{code}`` and its history, as services/sharing/disclosure.py
gives them for the caller.

The lookup reads its row on the app's own threads (web/threads.py); the history, a rarer and longer
read, in FastAPI's thread pool.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine

from jjjcredit.core.codes import uscc
from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import disclosure
from jjjcredit.web import errors, threads
from jjjcredit.web.access import caller_for
from jjjcredit.web.errors import ApiError

router = APIRouter(prefix="/api/v1/organizations", tags=["lookup"])
#: What a lookup answers besides what every call can meet: the code's first error, a code no provider sent.
RAISES = errors.raises("uscc.empty", "uscc.length", "uscc.format", "uscc.department", "uscc.category",
                       "uscc.orgcode_format", "uscc.orgcode_checksum", "uscc.checksum", "library.not_found")


def _checked(code: str) -> str:
    result = uscc.check(code)
    if result.errors:
        first = result.errors[0]
        raise ApiError(first.code, first.message, field="code", position=first.position,
                       extra={"suggestions": [s.code for s in uscc.suggest(code)]})
    return result.compact


def _organization(engine: Engine, caller: access.Caller, code: str) -> dict[str, str] | None:
    with engine.connect() as conn:
        return disclosure.lookup_organization(conn, caller, code)


@router.get("/{code}", responses=RAISES)
async def lookup_organization(code: str, request: Request,
                              caller: access.Caller = Depends(caller_for("lookup"))) -> dict[str, Any]:
    """The current record of a code, with the elements the caller's security level allows."""
    compact = _checked(code)
    org = await threads.run(request, _organization, request.app.state.engine, caller, compact)
    if org is None:
        raise ApiError("library.not_found", f"{compact} is a valid code, but no provider has sent it.")
    return {"organization": org, "level": caller.level}


@router.get("/{code}/history", responses=RAISES)
def organization_history(code: str, request: Request,
                         caller: access.Caller = Depends(caller_for("lookup"))) -> dict[str, Any]:
    """Every change of the organization, with only the elements the caller may see."""
    compact = _checked(code)
    with request.app.state.engine.connect() as conn:
        events = disclosure.organization_history(conn, caller, compact)
    if events is None:
        raise ApiError("library.not_found", f"{compact} is a valid code, but no provider has sent it.")
    return {"code": compact, "history": events}
