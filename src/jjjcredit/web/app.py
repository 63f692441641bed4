"""``create_app(settings)``: every router in one list, one error shape, health and metrics.

Which URL calls which code: :data:`ROUTERS` → ``web/api/<noun>.py`` → ``services/<noun>.py``.

Every request passes :class:`Observe`, a plain ASGI middleware (no task, no stream between it and
the app): it gives the request its id, counts it in the metrics, hands the entry of every call to a
route that declares a service (``/api/`` and ``/reconcile``) or lies under ``/api/`` to the audit
trail's writer (``services/audit.Writer``, which appends in batches off the request path) and logs
it once, on the ``jjjcredit.web`` logger at INFO, with the fields request_id (also the
X-Request-ID response header; a caller's own is kept when it is 1-64 visible ASCII characters),
method, path, route, status, latency_ms, client (the client's name, ``"public"`` without a key,
``null`` for a key that was refused) and service. ``jjjcredit serve`` writes these records as JSON
lines on stderr (``jjjcredit/logs.py``).
"""

from __future__ import annotations

import datetime
import gc
import logging
import os
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jjjcredit import __version__
from jjjcredit.core.codes.personal import personal_within, shown_personal
from jjjcredit.services import db
from jjjcredit.services.sharing import audit, disclosure, rate_limits
from jjjcredit.services.sharing import evidence as evidence_keys
from jjjcredit.settings import Settings
from jjjcredit.web import audit as audit_entry
from jjjcredit.web import characters, errors, limits, openapi, threads
from jjjcredit.web import metrics as freshness_metrics
from jjjcredit.web.api import audit as audit_api
from jjjcredit.web.api import (
    catalogue,
    changes,
    credit,
    evidence,
    federation,
    organizations,
    reconcile,
    report,
    search,
    verify,
)
from jjjcredit.web.api import subjects as own_view
from jjjcredit.web.errors import ApiError

ROUTERS = [organizations.router, search.router, verify.router, evidence.router, changes.router, reconcile.router,
           audit_api.router, catalogue.router, credit.router, credit.subjects, report.router, own_view.router,
           federation.router]
log = logging.getLogger("jjjcredit.web")
#: Seconds the audit trail's writes may keep failing before /healthz answers 503 ``audit.failing`` (and
#: entries may wait on a lock before it says so in its answer).
AUDIT_FAILING_SECONDS = 30.0
_REQUEST_ID = re.compile(r"[!-~]{1,64}")


def create_app(settings: Settings) -> FastAPI:
    proxies = rate_limits.parse_proxies(settings.trusted_proxies)  # a bad setting stops the start
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
    try:  # reports issued, per client or address: a window of their own (web/access.limit_reports)
        report_limiter = rate_limits.open_limiter(settings.reports_per_minute, settings.redis_url,
                                                  settings.redis_prefix + "reports:")
    except rate_limits.RedisUnavailable:
        limiter.close()
        engine.dispose()
        raise
    try:  # keyed calls to the public's services, per client: a window of their own (web/access.limit_client)
        client_limiter = rate_limits.open_limiter(settings.client_rate_per_minute, settings.redis_url,
                                                  settings.redis_prefix + "clients:")
    except rate_limits.RedisUnavailable:
        report_limiter.close()
        limiter.close()
        engine.dispose()
        raise

    key_box = _key_box(engine, settings.signing_key_secret)
    registry = CollectorRegistry()
    dropped = Counter("jjjcredit_audit_entries_dropped_total", "Audit entries given up at shutdown: the database "
                      "refused writes for longer than JJJCREDIT_AUDIT_CLOSE_SECONDS", registry=registry)
    # every /api/ call, appended in batches off the request path
    trail = audit.Writer(engine, close_seconds=settings.audit_close_seconds, on_drop=dropped.inc,
                         checkpoint_seconds=settings.audit_checkpoint_seconds, key_box=key_box)
    Gauge("jjjcredit_audit_backlog", "Audit entries submitted and not yet written",
          registry=registry).set_function(trail.backlog)
    registry.register(freshness_metrics.Freshness(engine))  # last batches, sequence, signing key: read at each scrape
    registry.register(freshness_metrics.Credit(engine))  # per provider and item: records, late, silent, last batch
    registry.register(freshness_metrics.Federation(engine))  # the lag per peer, as the follower noted it
    workers = threads.Threads()  # the blocking work of the busiest calls

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What start-up built (modules, the name dictionaries of search, the app) lives as long as the
        # server: out of the collector's sight, a full collection no longer walks ~300,000 objects
        # (~30-60 ms, a pause every call in flight would wait for).
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()  # collectable again once the server is done with it (an app in a test, say)
        workers.close()
        trail.close()  # write what is still queued; given up (counted, logged) only if the database refuses
        limiter.close()
        report_limiter.close()
        client_limiter.close()
        engine.dispose()
        if getattr(_app.state, "own_process", False):
            _end_stuck_calls(STUCK_SECONDS)

    # The docs pages' scripts and styles are served from the package (fastapi-offline), not a CDN: a
    # government network without internet still shows /docs and /redoc.
    app = FastAPIOffline(title="jjjcredit", version=__version__, lifespan=lifespan, static_url="/docs-assets",
                         dependencies=[Depends(characters.refuse_bad_characters)],  # before every route's own
                  description="The sharing and application interface of the Beijing–Tianjin–Hebei unified "
                              "social credit code library (DB11/DB12/DB13 T 3041-2024).")
    app.state.engine = engine
    app.state.limiter = limiter
    app.state.report_limiter = report_limiter
    app.state.client_limiter = client_limiter
    app.state.trusted_proxies = proxies  # whose X-Forwarded-For the rate limits believe
    app.state.threads = workers
    app.state.trail = trail
    app.state.limits = settings.limits
    # the platform's own address, never the Host a request names (it is in signed reports and DCAT names)
    app.state.catalogue_base = settings.catalogue_base
    app.state.key_box = key_box  # None: verify answers 503 evidence.no_secret, the rest works
    app.state.node = settings.node  # the node whose own changes /api/v1/federation/changes serves
    app.state.report_base_url = settings.report_base_url  # None: settings.DEFAULT_PUBLIC_URL
    app.state.today = disclosure.current_day  # the day credit records are disclosed as of (the clock)
    app.state.now = _now  # the moment one-time codes and subjects' sessions are checked at (the clock)
    app.state.audit_retention_days = settings.audit_retention_days  # how far back a subject's query log goes
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, settings.limits)  # every error status in the one shape, the API key
    app.add_middleware(limits.Bounds, limits=settings.limits)  # sizes, before anything is parsed
    app.add_middleware(Observe, trail=trail, registry=registry, purpose_chars=settings.limits.purpose_chars)

    @app.get("/healthz", tags=["operations"],
             responses=errors.raises("db.schema_behind", "db.schema_ahead", "audit.failing"))
    def healthz() -> dict[str, Any]:
        """Whether the server can serve: 200 ``ok`` when the database answers and its schema is this code's;
        else 503 in the one error shape — ``db.unavailable`` (the database does not answer),
        ``db.schema_behind`` (run ``jjjcredit db upgrade``), ``db.schema_ahead`` (a newer release upgraded
        the database: run it) or ``audit.failing`` (the audit trail's writes have failed for over
        :data:`AUDIT_FAILING_SECONDS` seconds: a full disk, a read-only database — reads are still
        answered, their entries wait in memory). Entries waiting that long on a lock another writer holds
        (a long SQLite ingest) keep it 200, with ``audit_waiting_seconds``.
        ``signing`` says whether the operator secret is set (without it, evidence and reports are not
        signed: those calls answer 503)."""
        state = db.status(engine)
        if not state.up_to_date:
            raise db.SchemaBehind(state.current, state.head)
        answer: dict[str, Any] = {"status": "ok", "revision": state.current,
                                  "signing": "ok" if key_box is not None else "missing"}
        stalled = trail.stalled()
        if stalled is not None and stalled[0] > AUDIT_FAILING_SECONDS:
            seconds, failure = stalled
            if failure is None:  # waiting on a lock (a long SQLite ingest holds it): written once it is free
                answer["audit_waiting_seconds"] = round(seconds)
                return answer
            why = ("the database's disk is full" if db.disk_full(failure)
                   else f"the database refuses its writes ({type(failure).__name__})")
            raise ApiError("audit.failing", f"The audit trail has not been written for {seconds:.0f} s: {why}. "
                           f"{trail.backlog()} entries wait in this process's memory; calls are still answered.",
                           headers={"Retry-After": "30"})
        return answer

    @app.get("/metrics", tags=["operations"], response_class=Response, responses={200: {
        "description": "The Prometheus text format (docs/cli.md lists the metrics).",
        "content": {"text/plain": {"schema": {"type": "string"}}}}})
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key_box(engine: Engine, secret: str | None) -> evidence_keys.KeyBox | None:
    """The operator's secret for the signing keys; keys an earlier version stored in clear are sealed now."""
    with engine.begin() as conn:
        if secret is None:
            clear = evidence_keys.clear_keys(conn)
            log.warning("no operator secret for the signing keys (JJJCREDIT_SIGNING_KEY_SECRET or "
                        "JJJCREDIT_SIGNING_KEY_FILE): verify answers 503 evidence.no_secret, catalogue comments 503 "
                        "catalogue.no_secret%s",
                        f"; {clear} signing keys are stored in clear" if clear else "",
                        extra={"code": "evidence.no_secret"})
            return None
        box = evidence_keys.KeyBox(secret)
        sealed = evidence_keys.seal_clear_keys(conn, box)
    if sealed:
        log.info("sealed %d signing keys stored in clear under the operator secret", sealed)
    return box


class Observe:
    """Request id, metrics, audit entry and log line for every HTTP request, and the one error shape
    for an unexpected error — as a plain ASGI middleware, so a request costs a closure, not a task."""

    def __init__(self, app: ASGIApp, trail: audit.Writer, registry: CollectorRegistry, purpose_chars: int) -> None:
        self.app, self.trail, self.purpose_chars = app, trail, purpose_chars
        self._requests = Counter("jjjcredit_requests_total", "HTTP requests", ["route", "status"], registry=registry)
        self._latency = Histogram("jjjcredit_request_seconds", "HTTP request latency", ["route"], registry=registry)
        self._routes: dict[int, tuple[str, str, Any]] = {}  # id(route) → path, service, latency child
        self._counts: dict[tuple[str, int], Any] = {}  # (route path, status) → counter child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given, purpose, keyed = _headers(scope["headers"], self.purpose_chars)
        # not uuid4: its system call hands the GIL to the app's threads, and the loop waits to get it back
        request_id = (given if given and _REQUEST_ID.fullmatch(given) and not personal_within(given)
                      else f"{random.getrandbits(128):032x}")  # (it is logged and kept in the audit trail)
        scope.setdefault("state", {})["request_id"] = request_id
        at = datetime.datetime.now(datetime.UTC)
        start = time.perf_counter()
        status, started = 500, False
        id_header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the one error shape, and still counted, audited and logged
            response = errors.internal(Request(scope), exc)
            if not started:
                await response(scope, receive, send_with_id)
        self._record(scope, status, time.perf_counter() - start, request_id, at, purpose, keyed)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str, at: datetime.datetime,
                purpose: str | None, keyed: bool) -> None:
        route, service, latency = self._route(scope.get("route"))
        counter = self._counts.get((route, status))
        if counter is None:
            counter = self._counts[route, status] = self._requests.labels(route, str(status))
        counter.inc()
        latency.observe(seconds)
        path = scope["path"]
        if service != "none" or path.startswith("/api/"):  # every call to a route that reads data
            self.trail.submit(audit_entry.entry(scope, service, purpose, status, seconds, request_id, at))
        if log.isEnabledFor(logging.INFO):
            method = scope["method"]
            path = characters.kept_path(path)  # a personal number typed into a URL never logged in clear; cut
            extra = {"request_id": request_id, "method": method, "path": path, "route": route, "status": status,
                     "latency_ms": round(seconds * 1000, 2), "client": _client(scope, keyed), "service": service}
            state = scope.get("state", {})
            batch = state.get("batch")  # what a call made that the operator looks for by its id
            outcome = state.get("outcome")  # why a call was refused: the error code its answer carries
            if outcome is not None:
                extra["code"] = outcome
            if batch is None:
                log.info("%s %s %d%s", method, path, status, f" {outcome}" if outcome else "", extra=extra)
            else:
                log.info("%s %s %d batch %s", method, path, status, batch, extra=extra | {"batch": batch})

    def _route(self, route: object) -> tuple[str, str, Any]:
        """The route's path (``"unmatched"``), its service and its latency histogram, worked out once."""
        found = self._routes.get(id(route))
        if found is None:
            path = getattr(route, "path", "unmatched")
            found = self._routes[id(route)] = (path, audit_entry.service_of(route), self._latency.labels(path))
        return found


def _headers(headers: Iterable[tuple[bytes, bytes]], purpose_chars: int) -> tuple[str | None, str | None, bool]:
    """X-Request-ID, X-Purpose (the first of each; the purpose as UTF-8 text, raw or percent-encoded, cut
    at its limit — one over it is refused, and the trail keeps what was sent) and whether the first
    X-API-Key is not empty, in one pass over the raw headers (names come in lower case)."""
    request_id = purpose = key = None
    for name, value in headers:
        if name == b"x-request-id" and request_id is None:
            request_id = value.decode("latin-1")
        elif name == b"x-purpose" and purpose is None:
            purpose = shown_personal(limits.purpose_text(value[:purpose_chars * 4]))[:purpose_chars + 1]
        elif name == b"x-api-key" and key is None:
            key = value
    return request_id, purpose, bool(key)


def _client(scope: Scope, keyed: bool) -> str | None:
    """The client's name, ``"public"`` for a call without a key, ``None`` for a key that was refused."""
    caller = scope["state"].get("caller")
    if caller is not None:
        return str(caller.client) if caller.client is not None else "public"
    return None if keyed else "public"


def factory() -> FastAPI:
    """uvicorn's app factory (``jjjcredit serve``): settings from the environment, in each worker — whose
    process it owns (:func:`_end_stuck_calls`)."""
    app = create_app(Settings.from_env())
    app.state.own_process = True
    return app


#: How long a stopped server's process may wait, once the app has shut down, for calls still stuck in the
#: database (a thread that does not end keeps a process from exiting) before it ends anyway.
STUCK_SECONDS = 5.0


def _end_stuck_calls(seconds: float) -> None:
    """Once the app has shut down: a watchman that ends the process (exit 0) if, ``seconds`` later, a
    call's thread still waits on a database that does not answer — uvicorn has cancelled the call, but
    its thread would hold the interpreter's exit for as long as the connection hangs."""

    def watch() -> None:
        time.sleep(seconds)
        stuck = [t.name for t in threading.enumerate() if t.is_alive() and not t.daemon
                 and t is not threading.main_thread()]
        if stuck:
            log.error("shutdown: %d call(s) still wait on the database (%s); the process ends without them",
                      len(stuck), ", ".join(stuck[:5]), extra={"code": "db.unavailable"})
            logging.shutdown()
            os._exit(0)

    threading.Thread(target=watch, name="jjjcredit-stop-watch", daemon=True).start()
