"""``create_app(settings)``: every router in one list, one error shape, health and metrics.

Which URL calls which code: :data:`ROUTERS` → ``web/api/<noun>.py`` → ``services/<noun>.py``.

Every request is logged once, on the ``jjjcredit.web`` logger at INFO, with the fields request_id
(also the X-Request-ID response header; a caller's own is kept when it is 1-64 visible ASCII
characters), method, path, route, status, latency_ms, client (the client's name, ``"public"``
without a key, ``null`` for a key that was refused) and service. ``jjjcredit serve`` writes these
records as JSON lines on stderr (``jjjcredit/logs.py``).
"""

from __future__ import annotations

import datetime
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from jjjcredit import __version__
from jjjcredit.services import audit, db, rate_limits
from jjjcredit.settings import Settings
from jjjcredit.web import audit as audit_entry
from jjjcredit.web import errors
from jjjcredit.web.api import changes, evidence, organizations, reconcile, search, verify

ROUTERS = [organizations.router, search.router, verify.router, evidence.router, changes.router, reconcile.router]
log = logging.getLogger("jjjcredit.web")
_REQUEST_ID = re.compile(r"[!-~]{1,64}")


def create_app(settings: Settings) -> FastAPI:
    engine = db.open_engine(settings.database_url)
    try:
        db.require_current(engine)  # refuse to serve a database whose schema is behind
    except db.SchemaBehind:
        engine.dispose()
        raise
    try:  # the shared rate limits: Redis must answer now, or the server does not start
        limiter = rate_limits.open_limiter(settings.public_rate_per_minute, settings.redis_url, settings.redis_prefix)
    except rate_limits.RedisUnavailable:
        engine.dispose()
        raise

    trail = audit.Writer(engine)  # every /api/ call, appended in batches off the request path

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        trail.close()  # write what is still queued: no entry is lost on shutdown
        limiter.close()
        engine.dispose()

    app = FastAPI(title="jjjcredit", version=__version__, lifespan=lifespan,
                  description="The sharing and application interface of the Beijing–Tianjin–Hebei unified "
                              "social credit code library (DB11/DB12/DB13 T 3041-2024).")
    app.state.engine = engine
    app.state.limiter = limiter
    registry = CollectorRegistry()
    requests = Counter("jjjcredit_requests_total", "HTTP requests", ["route", "status"], registry=registry)
    latency = Histogram("jjjcredit_request_seconds", "HTTP request latency", ["route"], registry=registry)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.state.request_id = request_id
        at = datetime.datetime.now(datetime.UTC)
        start = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:  # the one error shape, and still counted, audited and logged
            response = errors.internal(request, exc)
        _record(request, response.status_code, time.perf_counter() - start, request_id, at)
        response.headers["X-Request-ID"] = request_id
        return response

    def _record(request: Request, status: int, seconds: float, request_id: str, at: datetime.datetime) -> None:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(route, str(status)).inc()
        latency.labels(route).observe(seconds)
        if request.url.path.startswith("/api/"):
            trail.submit(audit_entry.entry(request, status, seconds, request_id, at))
        log.info("%s %s %d", request.method, request.url.path, status, extra={
            "request_id": request_id, "method": request.method, "path": request.url.path, "route": route,
            "status": status, "latency_ms": round(seconds * 1000, 2), "client": _client(request),
            "service": audit_entry.service_of(request.scope.get("route"))})

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, Any]:
        """Liveness and the database's schema state."""
        state = db.status(engine)
        return {"status": "ok" if state.up_to_date else "schema_behind", "revision": state.current}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _client(request: Request) -> str | None:
    """The client's name, ``"public"`` for a call without a key, ``None`` for a key that was refused."""
    caller = getattr(request.state, "caller", None)
    if caller is not None:
        return str(caller.client) if caller.client is not None else "public"
    return None if request.headers.get("x-api-key") else "public"


def factory() -> FastAPI:
    """uvicorn's app factory (``jjjcredit serve``): settings from the environment, in each worker."""
    return create_app(Settings.from_env())
