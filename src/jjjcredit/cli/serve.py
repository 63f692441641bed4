"""``jjjcredit serve``: the sharing and application interface over HTTP (FastAPI on uvicorn)."""

from __future__ import annotations

import dataclasses
import os
from typing import Optional

import typer

from jjjcredit import logs
from jjjcredit.cli import database, output
from jjjcredit.services.sharing import rate_limits
from jjjcredit.settings import Settings

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
    try:
        settings = Settings.from_env()
    except OSError as exc:
        output.fail("evidence.no_secret", f"Cannot read the operator secret file (JJJCREDIT_SIGNING_KEY_FILE): {exc}.")
    # Each worker process builds the app from the environment (web.app:factory): put the options there.
    if url:
        settings = dataclasses.replace(settings, database_url=url)
        os.environ["JJJCREDIT_DATABASE_URL"] = url
    if redis_url is not None:
        settings = dataclasses.replace(settings, redis_url=redis_url or None)
        os.environ["JJJCREDIT_REDIS_URL"] = redis_url
    database.ready_engine(settings.database_url).dispose()
    if settings.redis_url:
        try:
            rate_limits.connect(settings.redis_url).close()
        except rate_limits.RedisUnavailable as exc:
            output.fail(exc.code, str(exc))
    elif workers > 1:
        output.note(f"note: without --redis each of the {workers} workers counts the public rate limit alone "
                    f"(one address may make up to {workers} × {settings.public_rate_per_minute} calls a minute).")
    if settings.signing_key_secret is None:
        output.note("note: no operator secret for the signing keys (JJJCREDIT_SIGNING_KEY_SECRET or "
                    "JJJCREDIT_SIGNING_KEY_FILE): verify answers 503 evidence.no_secret until one is given.")
    output.note(f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    # The web adapter is named, not imported: each worker process builds it from the environment.
    # A worker answers the parent's health check only once its imports are done: give a busy machine time.
    uvicorn.run("jjjcredit.web.app:factory", factory=True, host=host, port=port, workers=workers,
                log_config=logs.config(log_level), access_log=False, timeout_worker_healthcheck=30)
