from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from jjjcredit.core.errors import Error
from jjjcredit.storage.engine import make_engine, normalize_url, reading


def test_round_trip_on_the_configured_database(engine):
    meta = MetaData()
    table = Table("probe", meta, Column("id", Integer, primary_key=True), Column("name", String(50)))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "name": "石家庄某某机械制造有限公司"}])
    with engine.connect() as conn:
        assert conn.execute(select(table.c.name)).scalar_one() == "石家庄某某机械制造有限公司"


def test_postgres_urls_use_psycopg3():
    assert normalize_url("postgresql://u@h/d").startswith("postgresql+psycopg://")


def test_sqlite_folder_is_created(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.sqlite3'}")
    with eng.connect():
        pass
    eng.dispose()
    assert (tmp_path / "a" / "b" / "x.sqlite3").exists()


def test_a_sqlite_folder_that_cannot_be_made_is_said_with_what_to_do(tmp_path: Path):
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(Error) as refused:
        make_engine(f"sqlite:///{tmp_path / 'a-file' / 'x.sqlite3'}")
    assert refused.value.code == "db.unavailable" and "--db or JJJCREDIT_DATABASE_URL" in refused.value.message


def test_a_reading_connection_opens_no_transaction(engine):
    """``reading``: a statement runs in its own snapshot — no BEGIN before it, so nothing to roll back after
    (the two round trips a read call saves) — and the connection goes back to the pool as it came."""
    with reading(engine) as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            assert raw.info.transaction_status.name == "IDLE"  # (psycopg: no transaction block open)
        else:
            assert not raw.in_transaction
    with engine.connect() as conn:  # the pool's next user reads in a transaction again
        conn.execute(text("SELECT 1"))
        raw = conn.connection.driver_connection
        assert (raw.info.transaction_status.name == "INTRANS" if engine.dialect.name == "postgresql"
                else raw.in_transaction or raw.isolation_level is not None)


def test_a_pooled_postgresql_connection_idle_long_is_pinged_and_one_the_server_dropped_is_replaced(
        engine, monkeypatch: pytest.MonkeyPatch):
    """No ping for a connection used a moment ago (the busy API's calls); one idle past
    PING_AFTER_IDLE_SECONDS is pinged, and one the server has dropped meanwhile is replaced, unseen."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    from jjjcredit.storage import engine as engine_module

    def backend() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    first = backend()
    assert backend() == first  # the same pooled connection, handed out again
    dropper = make_engine(engine.url.render_as_string(hide_password=False))
    with dropper.connect() as other:  # the server drops it (a restart, an idle timeout)
        other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
    dropper.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had been idle long
    second = backend()
    assert second != first
