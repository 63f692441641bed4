"""``jjjcredit db``: bring the database's schema up to date, say where it stands, back it up and restore it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.core.errors import Error
from jjjcredit.services import backup, db
from jjjcredit.services.sharing import audit

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_db(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Create or migrate the tables to the newest revision, saying which it did (a mistyped SQLite path makes
    a new database: it says so)."""
    engine = database.engine(url)
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    new_file = bool(path) and path != ":memory:" and not Path(str(path)).exists()
    before = db.status(engine)
    state = db.upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before.current is None and new_file:
        output.note(f"{where}: no database was there; created a new one with the tables of revision {state.current} "
                    "(the newest). If an existing database was meant, check the path.")
    elif before.current is None:
        output.note(f"{where}: the database held no tables; made those of revision {state.current} (the newest).")
    elif before.current == state.current:
        output.note(f"{where}: at revision {state.current} already (the newest); nothing to do.")
    else:
        output.note(f"{where}: upgraded from revision {before.current} to {state.current} (the newest).")


@app.command("status")
def status_db(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Show which database, its revision and the newest one; exit 1 when it is behind (or ahead)."""
    engine = database.existing_engine(url)
    state = db.status(engine)
    print(f"database: {engine.url.render_as_string(hide_password=True)}\n"
          f"current:  {state.current or 'none (empty database)'}\nnewest:   {state.head}")
    if state.ahead:
        output.note("ahead: a newer release of jjjcredit upgraded this database; run that release.")
        raise SystemExit(output.EXIT_NO)
    if not state.up_to_date:
        output.note("behind: run `jjjcredit db upgrade`.")
        raise SystemExit(output.EXIT_NO)


@app.command("backup")
def backup_db(
    file: Path = typer.Argument(..., help="The backup file to write (replaced if it exists)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Copy the whole database, consistently and while it serves, into one file."""
    try:
        done = backup.backup_database(database.existing_engine(url), file)
    except Error as exc:
        output.fail(exc.code, exc.message)
    output.note(f"Backed up the {done.kind} database (revision {done.revision}) to {done.path}: "
                f"{done.size / 1e6:,.1f} MB.")


@app.command("restore")
def restore_db(
    file: Path = typer.Argument(..., help="A file written by `jjjcredit db backup`."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Restore a backup into an empty database, then check its audit trail."""
    engine = database.engine(url)
    try:
        done = backup.restore_database(engine, file)
    except Error as exc:
        output.fail(exc.code, exc.message)
    state = db.status(engine)
    if not state.up_to_date:
        output.note(f"Restored {done.path} (revision {done.revision}); this version needs revision {state.head}: "
                    "run `jjjcredit db upgrade`, then `jjjcredit audit verify`.")
        return
    with engine.connect() as conn:
        problems = audit.verify_trail(conn)
        count = audit.count_entries(conn)
    if problems:
        output.fail("audit.chain", f"Restored {done.path}, but its audit trail is broken in {len(problems)} "
                    f"place{'s' if len(problems) > 1 else ''}; the first at entry {problems[0].seq} "
                    "(`jjjcredit audit verify` lists them).", output.EXIT_NO)
    output.note(f"Restored {done.path} (revision {done.revision}); the audit trail is intact: {count} "
                f"entr{'y' if count == 1 else 'ies'} checked.")
