"""Lookup: ``GET /api/v1/organizations/{code}`` and its history, filtered to what the caller may see.

The lookup reads its row on the app's own threads (web/threads.py); the history, a rarer and longer
read, in FastAPI's thread pool.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine

from jjjcredit.core.codes import uscc
from jjjcredit.core.sharing import access
from jjjcredit.services.library import library
from jjjcredit.web import threads
from jjjcredit.web.access import caller_for
from jjjcredit.web.errors import ApiError

router = APIRouter(prefix="/api/v1/organizations", tags=["lookup"])


def _checked(code: str) -> str:
    result = uscc.check(code)
    if result.errors:
        first = result.errors[0]
        raise ApiError(first.code, first.message, field="code", position=first.position,
                       extra={"suggestions": [s.code for s in uscc.suggest(code)]})
    return result.compact


@functools.cache
def _allowed(level: int) -> frozenset[str]:
    return access.visible_elements(level) | {"uscc"}


def _visible(record: dict[str, str], caller: access.Caller) -> dict[str, str]:
    """The elements the caller may see."""
    allowed = _allowed(caller.level)
    return {k: v for k, v in record.items() if k in allowed}


def _organization(engine: Engine, code: str) -> dict[str, str] | None:
    with engine.connect() as conn:
        return library.current_elements(conn, code)


@router.get("/{code}")
async def lookup_organization(code: str, request: Request,
                              caller: access.Caller = Depends(caller_for("lookup"))) -> dict[str, Any]:
    """The current record of a code, with the elements the caller's security level allows."""
    compact = _checked(code)
    org = await threads.run(request, _organization, request.app.state.engine, compact)
    if org is None:
        raise ApiError("library.not_found", f"{compact} is a valid code, but no provider has sent it.")
    return {"organization": _visible(org, caller), "level": caller.level}


@router.get("/{code}/history")
def organization_history(code: str, request: Request,
                         caller: access.Caller = Depends(caller_for("lookup"))) -> dict[str, Any]:
    """Every change of the organization, with only the elements the caller may see."""
    compact = _checked(code)
    allowed = access.visible_elements(caller.level)
    with request.app.state.engine.connect() as conn:
        if library.get_organization(conn, compact) is None:
            raise ApiError("library.not_found", f"{compact} is a valid code, but no provider has sent it.")
        events = library.organization_history(conn, compact)
    for event in events:
        event["elements"] = [e for e in event["elements"] if e["element"] in allowed]
    return {"code": compact, "history": events}
