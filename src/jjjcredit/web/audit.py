"""What the audit trail records of one API call: client (``None`` for the public), service,
purpose (``X-Purpose``), the codes it touched, HTTP status, outcome code and latency."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute


def service_of(route: object) -> str:
    """The service a route declares through ``caller_for`` (``"none"`` for an unmatched path)."""
    if isinstance(route, APIRoute):
        for dependency in route.dependant.dependencies:
            service = getattr(dependency.call, "service", None)
            if service:
                return str(service)
    return "none"


def entry(request: Request, status: int, seconds: float, request_id: str, at: datetime.datetime) -> dict[str, Any]:
    caller = getattr(request.state, "caller", None)
    codes = list(getattr(request.state, "codes", None) or [])
    path_code = request.scope.get("path_params", {}).get("code")
    if path_code:
        codes.append(str(path_code))
    outcome = getattr(request.state, "outcome", None) or ("ok" if status < 400 else f"http.{status}")
    return {"at": at, "request_id": request_id[:64], "client": caller.client if caller is not None else None,
            "service": service_of(request.scope.get("route")), "purpose": request.headers.get("x-purpose"),
            "method": request.method, "path": request.url.path, "codes": codes, "status": status,
            "outcome": outcome, "latency_ms": seconds * 1000}
