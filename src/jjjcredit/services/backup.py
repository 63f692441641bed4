"""Backing up the whole database to one file, and restoring it into an empty database.

Each database is copied by its own consistent, online means, so a backup taken while the server
answers and an ingest runs holds every committed batch whole and nothing half-written:

- **SQLite**: the online backup API copies the file page by page into a new SQLite file (the backup
  *is* a database: ``sqlite3 FILE`` opens it);
- **PostgreSQL**: ``pg_dump --format=custom`` of the database (or of the one schema its URL's
  ``search_path`` names), restored with ``pg_restore`` in one transaction — the client programs of the
  server's major version (Debian: ``postgresql-client``).

A restore refuses a database that has tables already, and a backup of the other kind; it ends by
checking the audit trail's chain, so a restored library is known to be the one that was saved.
The file is written beside its final name and renamed into place: a failed backup leaves no file.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from jjjcredit.core.errors import Error
from jjjcredit.storage import migrator

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
#: What ``pg_dump``/``pg_restore`` may take, at most (a library of 17 million organizations: minutes).
TOOL_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Backup:
    """What a backup or restore did: the file, its size, the database kind and the schema revision."""

    path: Path
    size: int
    kind: str
    revision: str | None


def kind_of(engine: Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def backup_database(engine: Engine, path: Path) -> Backup:
    """Copy the whole database at ``engine`` into the new file ``path`` (replaced if it exists)."""
    path = Path(path)
    if path.is_dir():
        raise Error("backup.file", f'"{path}" is a folder: name the backup file to write.', field="file")
    if not path.parent.is_dir():
        raise Error("backup.file", f'The folder "{path.parent}" does not exist: create it or name another file.',
                    field="file")
    revision = migrator.current(engine)
    if revision is None:
        raise Error("backup.empty", "The database has no tables: there is nothing to back up.")
    partial = path.with_name(path.name + ".partial")
    try:
        if kind_of(engine) == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            url, schema, password = _pg_target(engine)
            command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
            command += [f"--schema={schema}"] if schema else []
            _run_tool([*command, f"--dbname={url}"], "pg_dump", password)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, path.stat().st_size, kind_of(engine), revision)


def restore_database(engine: Engine, path: Path) -> Backup:
    """Restore the backup ``path`` into the empty database at ``engine``."""
    path = Path(path)
    if not path.is_file():
        raise Error("file.not_found", f'There is no backup file "{path}".', field="file")
    with path.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    kind = "sqlite" if magic.startswith(SQLITE_MAGIC) else "postgresql" if magic.startswith(PG_MAGIC) else None
    if kind is None:
        raise Error("backup.kind", f'"{path}" is not a jjjcredit backup: neither a SQLite database nor a '
                    "pg_dump archive.", field="file")
    if kind != kind_of(engine):
        raise Error("backup.kind", f'"{path}" is a backup of a {kind} database; the target is '
                    f"{kind_of(engine)}. Restore it into a {kind} database.", field="file")
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    if tables:
        raise Error("backup.not_empty", f"The target database already has {len(tables)} tables: restore only "
                    "into an empty database (create a new one, or a new SQLite file).")
    if kind == "sqlite":
        _sqlite_restore(engine, path)
    else:
        url, schema, password = _pg_target(engine)
        listing = _run_tool(["pg_restore", "--list", str(path)], "pg_restore")
        dumped = sorted({line.split()[3] for line in listing.splitlines()
                         if not line.startswith(";") and len(line.split()) > 4 and line.split()[2] == "TABLE"})
        wanted = schema or "public"
        if dumped and dumped != [wanted]:
            raise Error("backup.schema", f"The backup holds the schema {', '.join(dumped)}; the target's is "
                        f"{wanted}. Restore it into a database whose search_path is {dumped[0]}.")
        _run_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                   f"--dbname={url}", str(path)], "pg_restore", password)
    engine.dispose()
    return Backup(path, path.stat().st_size, kind, migrator.current(engine))


def _sqlite_backup(engine: Engine, target: Path) -> None:
    target.unlink(missing_ok=True)
    source = engine.raw_connection()
    try:
        dest = sqlite3.connect(target)
        try:
            source.driver_connection.backup(dest)  # type: ignore[union-attr]
        finally:
            dest.close()
    finally:
        source.close()


def _sqlite_restore(engine: Engine, path: Path) -> None:
    source = sqlite3.connect(f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise Error("backup.damaged", f'"{path}" is a damaged SQLite file ({check[0] if check else "?"}).',
                        field="file")
        target = engine.raw_connection()
        try:
            source.backup(target.driver_connection)  # type: ignore[arg-type]
        finally:
            target.close()
    finally:
        source.close()


def _pg_target(engine: Engine) -> tuple[str, str | None, str | None]:
    """A libpq URL for the client programs — without the password, which goes to them in the environment
    (``PGPASSWORD``), never on a command line every user of the machine can list — the password, and the
    schema the engine's ``search_path`` names (if any)."""
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    options = url.query.get("options")
    schema = None
    for option in (options if isinstance(options, tuple) else (options,)):
        if option and "search_path=" in option:
            schema = option.split("search_path=", 1)[1].split(",")[0].split()[0]
    return url.set(query={})._replace(password=None).render_as_string(hide_password=False), schema, url.password


def _end_with_parent() -> None:
    """In the client program's process, before it starts (Linux): it is stopped (SIGTERM) when this process
    ends however it ends — a backup or restore killed outright leaves no pg_dump writing on, nor a
    pg_restore finishing a restore nobody checks (its one transaction is rolled back)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _run_tool(command: list[str], tool: str, password: str | None = None) -> str:
    if shutil.which(tool) is None:
        raise Error("backup.tool_missing", f"{tool} is not installed: PostgreSQL backups need the PostgreSQL "
                    "client programs of the server's version (Debian: apt-get install postgresql-client).")
    env = {**os.environ, "PGPASSWORD": password} if password else None
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=TOOL_SECONDS, check=False, env=env,
                             preexec_fn=_end_with_parent)
    except subprocess.TimeoutExpired as exc:
        raise Error("backup.failed", f"{tool} did not finish within {TOOL_SECONDS} s.") from exc
    if run.returncode != 0:
        detail = " ".join(run.stderr.split())[:500]
        raise Error("backup.failed", f"{tool} failed (exit {run.returncode}): {detail}")
    return run.stdout
