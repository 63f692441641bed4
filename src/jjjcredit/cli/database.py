"""The ``--db`` option every database command shares, and the engine it opens."""

from __future__ import annotations

import atexit
from typing import Optional

import typer
from sqlalchemy import Engine

from jjjcredit.services import db
from jjjcredit.settings import Settings

DB_OPTION: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
    None, "--db", help="Database URL (default: $JJJCREDIT_DATABASE_URL, else sqlite:///var/jjjcredit.sqlite3).")


def engine(url: str | None) -> Engine:
    """The engine for ``url``; its pooled connections are closed when the command ends, however it
    ends (an error's exit included)."""
    opened = db.open_engine(url or Settings.from_env().database_url)
    atexit.register(opened.dispose)
    return opened


def ready_engine(url: str | None) -> Engine:
    """The engine, once the database's schema is known to be current; else one line naming the fix."""
    opened = engine(url)
    try:
        db.require_current(opened)
    except db.SchemaBehind:
        opened.dispose()
        raise
    return opened
