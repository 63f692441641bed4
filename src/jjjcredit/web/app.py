"""``create_app(settings)``: every router in one list, one error shape, health and metrics.

Which URL calls which code: :data:`ROUTERS` → ``web/api/<noun>.py`` → ``services/<noun>.py``.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from jjjcredit import __version__
from jjjcredit.services import audit, db
from jjjcredit.settings import Settings
from jjjcredit.web import audit as audit_entry
from jjjcredit.web import errors
from jjjcredit.web.access import RateLimiter
from jjjcredit.web.api import changes, evidence, organizations, reconcile, search, verify

ROUTERS = [organizations.router, search.router, verify.router, evidence.router, changes.router, reconcile.router]
log = logging.getLogger("jjjcredit.web")


def create_app(settings: Settings) -> FastAPI:
    engine = db.open_engine(settings.database_url)
    try:
        db.require_current(engine)  # refuse to serve a database whose schema is behind
    except db.SchemaBehind:
        engine.dispose()
        raise

    trail = audit.Writer(engine)  # every /api/ call, appended in batches off the request path

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        trail.close()  # write what is still queued: no entry is lost on shutdown
        engine.dispose()

    app = FastAPI(title="jjjcredit", version=__version__, lifespan=lifespan,
                  description="The sharing and application interface of the Beijing–Tianjin–Hebei unified "
                              "social credit code library (DB11/DB12/DB13 T 3041-2024).")
    app.state.engine = engine
    app.state.limiter = RateLimiter(settings.public_rate_per_minute)
    registry = CollectorRegistry()
    requests = Counter("jjjcredit_requests_total", "HTTP requests", ["route", "status"], registry=registry)
    latency = Histogram("jjjcredit_request_seconds", "HTTP request latency", ["route"], registry=registry)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        at = datetime.datetime.now(datetime.UTC)
        start = time.perf_counter()
        response = await call_next(request)
        seconds = time.perf_counter() - start
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(route, str(response.status_code)).inc()
        latency.labels(route).observe(seconds)
        response.headers["X-Request-ID"] = request_id
        if request.url.path.startswith("/api/"):
            trail.submit(audit_entry.entry(request, response.status_code, seconds, request_id, at))
        log.info(json.dumps({"request_id": request_id, "method": request.method, "route": route,
                             "status": response.status_code, "ms": round(seconds * 1000, 2)}))
        return response

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


def factory() -> FastAPI:
    """uvicorn's app factory (``jjjcredit serve``): settings from the environment, in each worker."""
    return create_app(Settings.from_env())
