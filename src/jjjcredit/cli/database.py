"""The ``--db`` option every database command shares, and the engine it opens."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Optional

import typer
from sqlalchemy import Engine, make_url

from jjjcredit.core.errors import Error
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


def existing_engine(url: str | None) -> Engine:
    """:func:`engine`, for a database that exists: a SQLite file that is not there is ``db.unavailable``
    naming where it was looked for — opening it would leave an empty database behind (the default is
    relative to the current folder: a command run from another one would find none)."""
    resolved = url or Settings.from_env().database_url
    parsed = make_url(resolved)
    name = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and name and name != ":memory:" and not name.startswith("file:") \
            and not Path(name).exists():
        source = "--db" if url else "JJJCREDIT_DATABASE_URL or the default, var/jjjcredit.sqlite3 in the current folder"
        raise Error("db.unavailable", f"There is no database at {Path(name).resolve()} (from {source}): name the "
                    "platform's database, or create one there with `jjjcredit db upgrade`.")
    return engine(resolved)


def ready_engine(url: str | None) -> Engine:
    """The engine of a database that exists (:func:`existing_engine`), once its schema is known to be
    current; else one line naming the fix."""
    opened = existing_engine(url)
    try:
        db.require_current(opened)
    except db.SchemaBehind:
        opened.dispose()
        raise
    return opened
