"""What the audit trail records of one API call: client (``None`` for the public), service,
purpose (``X-Purpose``), the codes it touched, HTTP status, outcome code and latency; for the public
its address class, and the catalogue items a call about credit records was answered with.

Read from the ASGI scope once the call is answered: the route FastAPI matched (``scope["route"]``),
its path parameters, and what the call left in ``request.state`` (``scope["state"]``): ``caller``
(web/access.py), ``address_class`` (web/access.py, the public's), ``codes`` and ``items`` (the routes)
and ``outcome`` (web/errors.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from fastapi.routing import APIRoute

from jjjcredit.core.codes import uscc
from jjjcredit.core.sharing import audit as chain
from jjjcredit.web import characters


def service_of(route: object) -> str:
    """The service a route declares through ``caller_for`` (``"none"`` for an unmatched path)."""
    if isinstance(route, APIRoute):
        for dependency in route.dependant.dependencies:
            service = getattr(dependency.call, "service", None)
            if service:
                return str(service)
    return "none"


def _kept(code: str) -> str:
    """A code as the trail keeps it (core/sharing/audit.kept_code), once a NUL or lone surrogate is out."""
    return chain.kept_code(characters.clean(code))


def _as_answered(code: str) -> str:
    """A code from a URL as the routes answer it: a unified social credit code written another way (lower
    case, spaces, dashes, full-width) in its compact form — a subject's query log finds calls by that form,
    so no spelling of the code asks about it unseen; anything else as it was given.

    >>> _as_answered("9113 0102ma-75wxcj05"), _as_answered("P:ab")
    ('91130102MA75WXCJ05', 'P:ab')
    """
    compact = uscc.compact(code)
    return compact if uscc.is_valid(compact) else code


def entry(scope: Mapping[str, Any], service: str, purpose: str | None, status: int, seconds: float,
          request_id: str, at: datetime.datetime) -> dict[str, Any]:
    state = scope.get("state") or {}
    caller = state.get("caller")
    codes = [_kept(str(c)) for c in state.get("codes") or ()]
    path_code = (scope.get("path_params") or {}).get("code")
    if path_code:
        # a refused NUL must not stop the trail; an identity or mobile number typed into a URL is kept masked
        codes.append(_kept(_as_answered(str(path_code))))
    outcome = state.get("outcome") or ("ok" if status < 400 else f"http.{status}")
    return {"at": at, "request_id": request_id[:64], "client": caller.client if caller is not None else None,
            # the purpose was masked as it was read (web/app._headers), before it was cut to its limit
            "service": service, "purpose": purpose and characters.clean(purpose), "method": scope["method"],
            "path": characters.kept_path(scope["path"]),
            "codes": codes, "status": status, "outcome": outcome, "latency_ms": seconds * 1000,
            "address_class": state.get("address_class"), "items": list(state.get("items") or ())}
