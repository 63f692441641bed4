"""The database's schema state: upgrade it, report it, and refuse to work on one that is behind."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from jjjcredit.core.errors import Error
from jjjcredit.storage import engine as engine_module
from jjjcredit.storage import migrator
from jjjcredit.storage.migrator import ForeignKeysBroken

__all__ = ["ForeignKeysBroken", "SchemaBehind", "Status", "open_engine", "require_current", "status", "upgrade"]


class SchemaBehind(Error):
    """The database's schema is older than the code (or empty) — or newer (``db.schema_ahead``)."""

    def __init__(self, current: str | None, head: str | None) -> None:
        self.current = current
        self.head = head
        if Status(current, head).ahead:
            super().__init__("db.schema_ahead", f"The database is at revision {current}, newer than this version "
                             f"of jjjcredit knows (its newest is {head}): a newer release upgraded it. Run that "
                             "release (an upgrade does not go back).")
            return
        where = f"at revision {current}" if current else "empty (no tables yet)"
        super().__init__("db.schema_behind", f"The database is {where}, but this version of jjjcredit needs "
                         f"revision {head}: run `jjjcredit db upgrade` first.")


@dataclass(frozen=True)
class Status:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        """The database is at a revision newer than this code's newest (revisions are 4-digit numbers)."""
        return self.current is not None and self.head is not None and self.current > self.head


def status(engine: Engine) -> Status:
    return Status(migrator.current(engine), migrator.head())


def upgrade(engine: Engine) -> Status:
    """Migrate to the newest revision, then bring the derived search keys up to the library (a
    migration may have emptied them to rebuild them another way)."""
    from jjjcredit.services.library import search

    before = status(engine)
    if before.ahead:
        raise SchemaBehind(before.current, before.head)
    migrator.upgrade(engine)
    search.refresh(engine)
    return status(engine)


def require_current(engine: Engine) -> None:
    """Raise :class:`SchemaBehind` unless the database is at the newest revision."""
    state = status(engine)
    if not state.up_to_date:
        raise SchemaBehind(state.current, state.head)


def open_engine(url: str) -> Engine:
    """An engine for the database at ``url`` (SQLite file or PostgreSQL)."""
    from jjjcredit.storage.engine import make_engine

    return make_engine(url)


#: What the drivers say when the database's disk is full (SQLite; PostgreSQL's "could not extend file …:
#: No space left on device").
_DISK_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk full")


def disk_full(exc: BaseException) -> bool:
    """Whether a database error is its disk being full: retrying does not help until space is freed."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(words in text for words in _DISK_FULL)


#: What a PostgreSQL driver says when the server went away in the middle of a statement (a restart, an
#: administrator's pg_terminate_backend), before it marks the connection broken.
_LOST = ("server closed the connection unexpectedly", "the connection is lost", "connection is closed",
         "terminating connection due to administrator command", "connection already closed")


def connection_lost(exc: BaseException) -> bool:
    """Whether a database error is the connection going away during the command (it was there: the command had
    used it), not a database that cannot be reached."""
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(words in text for words in _LOST)


def reading(engine: Engine) -> Connection:
    """A connection for a call that only reads (storage/engine.reading): no ``BEGIN`` and no ``ROLLBACK``
    round trips around its statements."""
    return engine_module.reading(engine)
