"""Who is calling, and may they: API keys, per-service rights, purpose, public rate limits.

Every route under ``/api/v1`` declares its service through :func:`caller_for`; a test enumerates the
routes so that a new route without it fails.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request

from jjjcredit.core import access
from jjjcredit.services import clients
from jjjcredit.web.errors import ApiError


class RateLimiter:
    """A sliding window per address for callers without a key (one process; several workers share
    nothing yet — see docs/architecture.md)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(address, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                retry = max(1, math.ceil(hits[0] + 60 - now))
                raise ApiError(429, "access.rate_limited", f"Too many calls without an API key from {address}: "
                               f"at most {self.per_minute} a minute. Retry after {retry} s, or ask for a key.",
                               headers={"Retry-After": str(retry)})
            hits.append(now)


def caller_for(service: str) -> Callable[[Request], access.Caller]:
    """A dependency that admits the caller to ``service`` or raises 401/403/429/400."""

    def dependency(request: Request) -> access.Caller:
        key = request.headers.get("x-api-key")
        if key is None:
            if service not in access.PUBLIC_SERVICES:
                raise ApiError(401, "access.key_required", f'The "{service}" service needs an API key '
                               "(header X-API-Key); ask the platform operator for one.")
            request.app.state.limiter.check(request.client.host if request.client else "unknown")
            request.state.caller = access.PUBLIC
            return access.PUBLIC
        with request.app.state.engine.connect() as conn:
            client = clients.authenticate(conn, key)
        if client is None:
            raise ApiError(401, "access.bad_key", "The API key is unknown or revoked.")
        caller = client.caller()
        if not access.may(caller, service):
            raise ApiError(403, "access.forbidden", f'Client "{client.name}" has no right to the "{service}" '
                           f"service (it has: {', '.join(sorted(client.services))}).")
        if not request.headers.get("x-purpose"):
            raise ApiError(400, "access.purpose_required", "Calls with an API key state their purpose in the "
                           "X-Purpose header (it is kept in the audit trail).", field="X-Purpose")
        request.state.caller = caller
        return caller

    dependency.service = service  # type: ignore[attr-defined]
    return dependency
