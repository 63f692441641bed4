"""``jjjcredit db``: bring the database's schema up to date, and say where it stands."""

from __future__ import annotations

from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.services import db

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_db(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Create or migrate the tables to the newest revision."""
    state = db.upgrade(database.engine(url))
    output.note(f"database at revision {state.current} (newest).")


@app.command("status")
def status_db(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Show the database's revision and the newest one; exit 1 when it is behind."""
    state = db.status(database.engine(url))
    print(f"current: {state.current or 'none (empty database)'}\nnewest:  {state.head}")
    if not state.up_to_date:
        output.note("behind: run `jjjcredit db upgrade`.")
        raise SystemExit(output.EXIT_NO)
