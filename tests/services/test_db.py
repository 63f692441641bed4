"""The database's schema state (services/db.py): status, upgrade, and refusing a database that is behind."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from jjjcredit.services import db
from jjjcredit.storage import migrator


def test_an_empty_database_is_behind_and_refused(engine: Engine):
    state = db.status(engine)
    assert state.current is None and state.head == migrator.head() and not state.up_to_date
    with pytest.raises(db.SchemaBehind) as refused:
        db.require_current(engine)
    assert refused.value.code == "db.schema_behind"
    assert "empty" in str(refused.value) and "jjjcredit db upgrade" in str(refused.value)


def test_upgrade_brings_it_to_the_newest_revision_and_again_changes_nothing(engine: Engine):
    state = db.upgrade(engine)
    assert state.up_to_date and state.current == migrator.head()
    db.require_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"organizations", "changes", "history", "batches", "clients", "audit"} <= tables
    assert db.upgrade(engine) == state
    assert set(inspect(engine).get_table_names()) == tables


def test_a_database_at_an_older_revision_is_refused_naming_it(engine: Engine):
    migrator.upgrade(engine, "0003")
    state = db.status(engine)
    assert state.current == "0003" and not state.up_to_date
    with pytest.raises(db.SchemaBehind) as refused:
        db.require_current(engine)
    assert (refused.value.current, refused.value.head) == ("0003", migrator.head())
    assert "revision 0003" in str(refused.value)
    assert db.upgrade(engine).up_to_date


def test_a_full_disk_is_told_from_a_database_that_does_not_answer(tmp_path):
    """SQLite's own "database or disk is full" (a page limit stands in for the disk), as the driver raises
    it through SQLAlchemy: retrying will not help, and the messages say so (web/errors, cli/app)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(f"sqlite:///{tmp_path / 'full.sqlite3'}")
    with pytest.raises(OperationalError) as full, engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("PRAGMA max_page_count = 3"))
        for _ in range(100):
            conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 4000})
    engine.dispose()
    assert db.disk_full(full.value)
    with pytest.raises(OperationalError) as gone:
        create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.sqlite3'}").connect()
    assert not db.disk_full(gone.value)


def test_a_connection_lost_mid_statement_is_told_from_a_database_that_cannot_be_reached():
    """The server dropping a connection in the middle of a COPY is said by the driver before it marks the
    connection broken (SQLAlchemy then does not flag it invalidated): it is still a connection lost during the
    command (cli/app says so), never a URL to check; a server that refuses to connect is not."""
    from sqlalchemy.exc import OperationalError

    mid_copy = OperationalError("COPY", {}, Exception("consuming input failed: server closed the connection "
                                                      "unexpectedly\n\tThis probably means the server terminated"))
    assert not mid_copy.connection_invalidated and db.connection_lost(mid_copy)
    refused = OperationalError(None, None, Exception('connection failed: connection to server at "127.0.0.1", port '
                                                     "5999 failed: Connection refused"))
    assert not db.connection_lost(refused)
    invalidated = OperationalError("SELECT 1", {}, Exception("any"), connection_invalidated=True)
    assert db.connection_lost(invalidated)
