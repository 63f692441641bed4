"""Engines for the two supported databases: SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError

from jjjcredit.core.errors import Error


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and pick the psycopg 3 driver for it.

    >>> normalize_url("postgresql://postgres@127.0.0.1:5432/jjj")
    'postgresql+psycopg://postgres@127.0.0.1:5432/jjj'
    >>> normalize_url("sqlite:///var/x.sqlite3")
    'sqlite:///var/x.sqlite3'
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


#: How long a SQLite writer waits for another's transaction (an ingest holds one for its whole batch).
SQLITE_BUSY_SECONDS = 3600


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the folder is created and WAL and foreign keys are on."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise Error("db.unavailable", f'The SQLite database\'s folder "{folder.resolve()}" cannot be made '
                            f"({exc.strerror or exc}): name a database with --db or JJJCREDIT_DATABASE_URL (the "
                            "default, sqlite:///var/jjjcredit.sqlite3, is in the current folder).") from None
        # One writer at a time: a second ingest waits for the first batch to commit (up to
        # SQLITE_BUSY_SECONDS) instead of failing with "database is locked".
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache
            # Temporary storage stays SQLite's default, files: a small temporary table lives in the cache
            # anyway, and the sort that builds an index of millions of search keys then spills to a
            # file instead of holding it all in memory (a refresh of 1,000,000 peaked 79 MiB lower).
            # Reads straight from the mapped file (its first 256 MiB) instead of copying pages through
            # the cache: look-ups of a big library get about twice as fast. Writes go through the WAL.
            cursor.execute("PRAGMA mmap_size=268435456")
            cursor.close()

        return engine
    given = set(parsed.query)
    engine = create_engine(url, connect_args={k: v for k, v in POSTGRESQL_CONNECT.items() if k not in given})
    _ping_when_idle(engine)
    return engine


#: A pooled PostgreSQL connection unused this long is pinged before it is handed out (one round trip); one
#: used since is handed out as it is. After a server restart under load, a call on a connection used a
#: moment before fails once (503 ``db.unavailable``, Retry-After) and that connection is replaced; a ping
#: that fails has the pool replace every connection made before it; after a quiet night, the first call
#: finds a live connection.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, only for a connection idle :data:`PING_AFTER_IDLE_SECONDS` or more: the
    API's busiest calls take two connections each, and a ping before every one of them was a tenth of
    the server's time under load."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["returned_at"] = time.monotonic()  # (a connection just made answered just now)

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:  # the pool hands out another, and replaces the older ones
            raise InvalidatePoolError(f"the pooled connection no longer answers: {type(exc).__name__}") from exc


#: How a PostgreSQL connection finds out that the server is gone, unless the URL says otherwise
#: (``?connect_timeout=…``): a connection attempt gives up after 10 s; an idle connection is probed after
#: 30 s and dropped after three unanswered probes; data the server has not acknowledged within 60 s ends
#: the connection — a server that went away, or a network that dropped it, fails the call instead of
#: hanging it (and the server's shutdown with it).
POSTGRESQL_CONNECT: dict[str, int] = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
                                      "keepalives_interval": 10, "keepalives_count": 3, "tcp_user_timeout": 60_000}


@contextlib.contextmanager
def unmapped(conn: Connection) -> Iterator[None]:
    """SQLite reads through its page cache, not the memory-mapped file, for the length of the block: a
    bulk job (an ingest, a search refresh) reads much of the file, and every mapped page it touched
    would count in its memory (up to 256 MiB). Nothing to do on other databases."""
    if conn.dialect.name != "sqlite":
        yield
        return
    mapped = conn.exec_driver_sql("PRAGMA mmap_size").scalar()
    conn.exec_driver_sql("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA mmap_size={int(mapped or 0)}")


def reading(engine: Engine) -> Connection:
    """A connection for a call that only reads (a key's rights, a subject's records), to use as ``with
    reading(engine) as conn:``: each statement in its own snapshot, with no ``BEGIN`` sent before the first
    and no ``ROLLBACK`` after the last — two round trips to PostgreSQL fewer a call, on the API's busiest
    reads. A write it makes (a key made on first use) commits at once."""
    conn = engine.connect()
    try:
        return conn.execution_options(isolation_level="AUTOCOMMIT")
    except BaseException:
        conn.close()
        raise
