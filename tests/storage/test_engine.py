from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from jjjcredit.core.errors import Error
from jjjcredit.storage.engine import make_engine, normalize_url


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
