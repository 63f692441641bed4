"""``jjjcredit serve``: the sharing and application interface over HTTP (FastAPI on uvicorn)."""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
from typing import Optional

import typer

from jjjcredit import logs
from jjjcredit.cli import database, output
from jjjcredit.services.sharing import rate_limits
from jjjcredit.settings import Settings

#: How long a stopped server (SIGTERM, Ctrl-C) waits for the calls in flight before it cancels them: a
#: call stuck on a database that does not answer does not keep it from stopping.
SHUTDOWN_SECONDS = 30

app = typer.Typer()


@app.callback(invoke_without_command=True)
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (SQLite or PostgreSQL)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
    redis_url: Optional[str] = typer.Option(  # noqa: UP045
        None, "--redis", help="Redis URL for public rate limits shared by every worker "
        "(default: $JJJCREDIT_REDIS_URL; unset: each worker counts alone)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Serve the API: /api/v1/..., OpenAPI at /openapi.json, docs at /docs, /healthz, /metrics.

    Logs are JSON lines on stderr, one per request."""
    import uvicorn

    if log_level not in logs.LEVELS:
        output.fail("usage", f'--log-level "{log_level}" is not known: expected debug, info, warning or error.')
    _check_address(host, port)
    settings = Settings.from_env()  # an unreadable secret file: evidence.no_secret
    # Each worker process builds the app from the environment (web.app:factory): put the options there.
    if url:
        settings = dataclasses.replace(settings, database_url=url)
        os.environ["JJJCREDIT_DATABASE_URL"] = url
    if redis_url is not None:
        settings = dataclasses.replace(settings, redis_url=redis_url or None)
        os.environ["JJJCREDIT_REDIS_URL"] = redis_url
    database.ready_engine(settings.database_url).dispose()
    if settings.redis_url:
        rate_limits.connect(settings.redis_url).close()
    elif workers > 1:
        output.note(f"note: without --redis each of the {workers} workers counts the rate limits alone (one "
                    f"address may make up to {workers} × {settings.public_rate_per_minute} calls a minute, one "
                    f"client {workers} × {settings.client_rate_per_minute}).")
    if settings.signing_key_secret is None:
        output.note("note: no operator secret for the signing keys (JJJCREDIT_SIGNING_KEY_SECRET or "
                    "JJJCREDIT_SIGNING_KEY_FILE): verify answers 503 evidence.no_secret and catalogue comments 503 "
                    "catalogue.no_secret until one is given.")
    # Signed reports and the catalogue's DCAT names point to the platform's own address, never to the Host a
    # caller sends: without one configured, the address served on.
    own = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    if not os.environ.get("JJJCREDIT_REPORT_BASE_URL"):
        os.environ["JJJCREDIT_REPORT_BASE_URL"] = own
        if host in ("0.0.0.0", "::"):
            output.note(f"note: credit reports will point to {own}; set JJJCREDIT_REPORT_BASE_URL (and "
                        "JJJCREDIT_CATALOGUE_BASE_URI) to the platform's public address.")
    output.note(f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    # The web adapter is named, not imported: each worker process builds it from the environment.
    # A worker answers the parent's health check only once its imports are done: give a busy machine time.
    # The HTTP protocol is named too: httptools, answering a request its parser refuses in the one error shape.
    uvicorn.run("jjjcredit.web.app:factory", factory=True, host=host, port=port, workers=workers,
                http="jjjcredit.web.protocol:Protocol", log_config=logs.config(log_level), access_log=False,
                timeout_worker_healthcheck=30, limit_concurrency=settings.limits.connections,
                timeout_graceful_shutdown=SHUTDOWN_SECONDS,
                proxy_headers=False)  # X-Forwarded-For: only from JJJCREDIT_TRUSTED_PROXIES (web/access.py)


def _check_address(host: str, port: int) -> None:
    """Refuse in one line, before anything is served, an address the server could not listen on."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, OverflowError) as exc:
        output.fail("serve.address", f'--host "{host}" --port {port} is not an address this machine can listen on '
                    f"({exc}): give an address of this machine (127.0.0.1, 0.0.0.0) and a port from 1 to 65535.")
    family, kind, proto, _, address = addresses[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                output.fail("serve.port_busy", f"Port {port} on {host} is already in use by another program: "
                            "stop it, or choose another port with --port (make run: PORT=8001 make run).")
            output.fail("serve.address", f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Choose another "
                        "--host or --port (ports below 1024 need administrator rights).")
