"""``jjjcredit serve``: the sharing and application interface over HTTP (FastAPI on uvicorn)."""

from __future__ import annotations

import dataclasses
import os
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.settings import Settings

app = typer.Typer()


@app.callback(invoke_without_command=True)
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Serve the API: /api/v1/..., OpenAPI at /openapi.json, docs at /docs, /healthz, /metrics."""
    import uvicorn

    settings = Settings.from_env()
    if url:
        settings = dataclasses.replace(settings, database_url=url)
        os.environ["JJJCREDIT_DATABASE_URL"] = url
    database.ready_engine(settings.database_url).dispose()
    output.note(f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    # The web adapter is named, not imported: each worker process builds it from the environment.
    uvicorn.run("jjjcredit.web.app:factory", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
