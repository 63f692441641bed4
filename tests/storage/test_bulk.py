"""Bulk inserts give back exactly what went in, on both databases: NULL apart from the empty string,
quotes, commas, tabs, newlines, backslashes, times."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, Table, Text, select

from jjjcredit.storage import bulk

TRICKY = ["plain", 'a "quoted", comma', "tab\there", "new\nline\r\n", "back\\slash \\N", "中文，（全角）", None]


@pytest.mark.parametrize("with_empty", [False, True])
def test_insert_rows_round_trips(engine: Engine, with_empty: bool):
    meta = MetaData()
    table = Table("bulk_probe", meta, Column("n", Integer, primary_key=True), Column("v", Text),
                  Column("at", DateTime(timezone=True)))
    meta.create_all(engine)
    values = TRICKY + ([""] if with_empty else [])
    moment = datetime.datetime(2026, 11, 22, 5, 0, 0, 123456, tzinfo=datetime.UTC)
    with engine.begin() as conn:
        stamp = bulk.stamp(conn, moment)
        bulk.insert_rows(conn, "bulk_probe", ["n", "v", "at"],
                         [{"n": i, "v": v, "at": stamp} for i, v in enumerate(values)])
    with engine.connect() as conn:
        got = conn.execute(select(table.c.v, table.c.at).order_by(table.c.n)).all()
    assert [v for v, _ in got] == values
    assert {at.replace(tzinfo=datetime.UTC) if at.tzinfo is None else at for _, at in got} == {moment}
