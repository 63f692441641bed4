"""Bulk inserts give back exactly what went in, on both databases: NULL apart from the empty string,
quotes, commas, tabs, newlines, backslashes, times."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from sqlalchemy import Column, Connection, DateTime, Engine, Integer, MetaData, Table, Text, select

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


def test_rows_held_as_pyarrow_arrays_round_trip(engine: Engine):
    import pyarrow as pa

    meta = MetaData()
    table = Table("arrow_probe", meta, Column("n", Integer, primary_key=True), Column("v", Text), Column("w", Text))
    meta.create_all(engine)
    values = [*TRICKY, "", '"', "\\.", ",", "end"]
    with engine.begin() as conn:  # more rows than a batch: the batches follow one another
        bulk.copy_arrow(conn, "arrow_probe", ("n", "v", "w"), [
            pa.array(range(bulk.ARROW_BATCH + len(values)), pa.int64()),
            pa.array(values + ["x"] * bulk.ARROW_BATCH, pa.string()),
            pa.nulls(bulk.ARROW_BATCH + len(values), pa.string())])
        bulk.copy_arrow(conn, "arrow_probe", ("n", "v", "w"), [pa.array([], pa.int64()), pa.array([], pa.string()),
                                                              pa.array([], pa.string())])  # none: nothing
    with engine.connect() as conn:
        got = conn.execute(select(table.c.v, table.c.w).order_by(table.c.n)).all()
    assert [v for v, _ in got[:len(values)]] == values and len(got) == bulk.ARROW_BATCH + len(values)
    assert {w for _, w in got} == {None}


def test_rows_copied_as_new_go_in_whole_or_not_at_all(engine: Engine):
    import pyarrow as pa

    meta = MetaData()
    table = Table("arrow_new", meta, Column("n", Integer, primary_key=True), Column("v", Text))
    meta.create_all(engine)

    def rows(keys: list[int]) -> list[Any]:
        return [pa.array(keys, pa.int64()), pa.array([f"v{k}" for k in keys], pa.string())]

    with engine.begin() as conn:
        assert bulk.copy_arrow_new(conn, "arrow_new", ("n", "v"), rows([1, 2, 3]))
        assert not bulk.copy_arrow_new(conn, "arrow_new", ("n", "v"), rows([4, 5, 2, 6]))  # 2 is held
        conn.execute(table.insert().values(n=7, v="after"))  # the transaction goes on after the refusal
    with engine.connect() as conn:
        assert conn.execute(select(table.c.n).order_by(table.c.n)).scalars().all() == [1, 2, 3, 7]


def test_postgresql_rows_of_plain_values_go_as_copy_text_built_column_by_column():
    rows = [{"n": 1, "v": "中文", "w": None}, {"n": 2, "v": "b", "w": "c"}]
    prepared = bulk.prepare("postgresql", ["n", "v", "w"], rows)
    assert prepared.text == "1\x1f中文\x1f\n2\x1fb\x1fc\n"
    assert "DELIMITER" in prepared.options and "NULL ''" in prepared.options


@pytest.mark.parametrize("value", ["sep\x1fin", "new\nline", "back\\slash", "cr\r", ""])
def test_postgresql_values_the_copy_text_cannot_hold_go_another_way(value: str):
    prepared = bulk.prepare("postgresql", ["n", "v"], [{"n": 1, "v": "plain"}, {"n": 2, "v": value}])
    assert "DELIMITER" not in prepared.options


@pytest.mark.parametrize("value", ["sep\x1fin", "plain", "tab\there"])
def test_insert_rows_round_trips_the_separator_and_plain_rows(engine: Engine, value: str):
    meta = MetaData()
    table = Table("bulk_probe2", meta, Column("n", Integer, primary_key=True), Column("v", Text))
    meta.create_all(engine)
    values = [value, None, "中文"]
    with engine.begin() as conn:
        bulk.insert_rows(conn, "bulk_probe2", ["n", "v"], [{"n": i, "v": v} for i, v in enumerate(values)])
    with engine.connect() as conn:
        assert conn.execute(select(table.c.v).order_by(table.c.n)).scalars().all() == values


@pytest.mark.parametrize("constant", ["batch-1", "sep\x1fin", "back\\slash", ""])
def test_constant_columns_end_every_row_whichever_way_the_rows_go(engine: Engine, constant: str):
    meta = MetaData()
    table = Table("bulk_probe3", meta, Column("n", Integer, primary_key=True), Column("v", Text),
                  Column("c", Text), Column("d", Integer))
    meta.create_all(engine)
    with engine.begin() as conn:
        prepared = bulk.prepare_columns(conn.dialect.name, ["n", "v", "c", "d"], [[1, 2, 3], ["a", None, "中"]],
                                        (constant, 7))
        bulk.insert_prepared(conn, "bulk_probe3", prepared)
    with engine.connect() as conn:
        got = conn.execute(select(table.c.n, table.c.v, table.c.c, table.c.d).order_by(table.c.n)).all()
    assert [tuple(r) for r in got] == [(1, "a", constant, 7), (2, None, constant, 7), (3, "中", constant, 7)]


def test_a_column_of_numbers_after_a_null_goes_as_text_too(engine: Engine):
    meta = MetaData()
    table = Table("bulk_probe4", meta, Column("n", Integer, primary_key=True), Column("m", Integer))
    meta.create_all(engine)
    with engine.begin() as conn:
        bulk.insert_rows(conn, "bulk_probe4", ["n", "m"], [{"n": 1, "m": None}, {"n": 2, "m": 5}])
    with engine.connect() as conn:
        assert conn.execute(select(table.c.m).order_by(table.c.n)).scalars().all() == [None, 5]


@pytest.mark.parametrize("keys", [[], ["plain"], ['x","y', "q"],
                                  [v for v in TRICKY if v is not None] + ['"', '","', "{a,b}", " ", "NULL"]])
def test_among_finds_exactly_the_keys_given_whatever_they_hold(engine: Engine, keys: list[str]):
    meta = MetaData()
    table = Table("among_probe", meta, Column("n", Integer, primary_key=True), Column("v", Text))
    meta.create_all(engine)
    held = [*TRICKY[:-1], '"', '","', "{a,b}", " ", "NULL", 'x","y', "x", "y", "q", "{}"]
    with engine.begin() as conn:
        bulk.insert_rows(conn, "among_probe", ["n", "v"], [{"n": i, "v": v} for i, v in enumerate(held)])
    with engine.connect() as conn:
        found = [v for among in bulk.among(conn, table.c.v, keys) for v in conn.execute(select(table.c.v).where(among))
                 .scalars()]
    assert sorted(found) == sorted(keys)


def test_among_s_keys_are_constants_to_the_planner_which_searches_the_index(engine: Engine):
    """On PostgreSQL the array is read when the statement is bound — not a cast in the statement, read again
    for every row compared (a scan comparing each row with each key: a minute for 10,000 keys among 20,000
    rows); on SQLite an ``IN`` list."""
    meta = MetaData()
    table = Table("among_plan", meta, Column("v", Text, primary_key=True))
    meta.create_all(engine)
    with engine.connect() as conn:
        [among] = bulk.among(conn, table.c.v, ["a", "b"])
        if engine.dialect.name == "postgresql":
            compiled = select(table.c.v).where(among).compile(conn)
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        else:
            compiled = select(table.c.v).where(among).compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    if engine.dialect.name == "postgresql":
        assert "'{a,b}'::text[]" in plan and "CAST" not in plan.upper(), plan
    else:
        assert "SEARCH" in plan and "INDEX" in plan.upper(), plan


def test_by_index_plans_a_look_up_of_many_keys_as_an_index_search(engine: Engine):
    """Left alone, PostgreSQL's planner scans a table of 20,000 rows for 5,000 keys (and a table of under a
    million rows for 10,000: five times as long as the search)."""
    meta = MetaData()
    table = Table("by_index_probe", meta, Column("v", Text, primary_key=True), Column("w", Text))
    meta.create_all(engine)
    with engine.begin() as conn:
        bulk.insert_rows(conn, "by_index_probe", ["v", "w"], [{"v": f"k{i:06d}", "w": "x" * 50} for i in range(20_000)])
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE by_index_probe")
    keys = [f"k{i:06d}" for i in range(0, 20_000, 4)]

    def plan(conn: Connection) -> str:
        if engine.dialect.name == "postgresql":
            [among] = bulk.among(conn, table.c.v, keys)
            compiled = select(table.c.w).where(among).compile(conn)
            return "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        compiled = select(table.c.w).where(table.c.v == "k1").compile(conn, compile_kwargs={"literal_binds": True})
        return "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))

    with engine.begin() as conn:
        left_alone = plan(conn)
        with bulk.by_index(conn):
            searched = plan(conn)
            found = len([v for among in bulk.among(conn, table.c.v, keys)
                         for v in conn.execute(select(table.c.v).where(among))])
        after = plan(conn)
    assert found == len(keys)
    if engine.dialect.name == "postgresql":
        assert "Seq Scan" in left_alone and "Seq Scan" not in searched and "Index" in searched, (left_alone, searched)
        assert after == left_alone  # only for the ``with``
    else:
        assert "SEARCH" in searched


def test_rows_held_as_pyarrow_arrays_of_every_column_type_round_trip(engine: Engine):
    """A table whose column types are known goes by a binary COPY on PostgreSQL (the same rows by name, a
    table storage/schema does not hold, go as CSV): texts of any character, NULL apart from the empty
    string, integers of each width, floats, flags and times (from a time or its ISO text) all come back."""
    import pyarrow as pa
    from sqlalchemy import BigInteger, Boolean, Float, SmallInteger, String

    meta = MetaData()
    table = Table("arrow_types", meta, Column("n", Integer, primary_key=True), Column("v", Text),
                  Column("s", String(8)), Column("b", BigInteger), Column("h", SmallInteger), Column("f", Float),
                  Column("ok", Boolean), Column("at", DateTime(timezone=True)),
                  Column("at_text", DateTime(timezone=True)))
    meta.create_all(engine)
    values = [*TRICKY, "", "\\.", "\x01\x7f", "𠀀 supplementary"]
    moment = datetime.datetime(2026, 11, 22, 5, 0, 0, 123456, tzinfo=datetime.UTC)
    n = len(values)
    arrays = [pa.array(range(n), pa.int64()), pa.array(values, pa.string()),
              pa.array([None if i % 3 == 0 else f"s{i}" for i in range(n)], pa.string()),
              pa.array([None if i == 1 else 2**40 + i for i in range(n)], pa.int64()),
              pa.array([-i for i in range(n)], pa.int64()),
              pa.array([None if i == 2 else i / 4 for i in range(n)], pa.float64()),
              pa.array([None if i == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
              pa.array([None if i == 3 else moment + datetime.timedelta(days=i) for i in range(n)],
                       pa.timestamp("us", "UTC")),
              pa.array([None if i == 4 else (moment - datetime.timedelta(days=9000 * i)).isoformat(sep=" ")
                        for i in range(n)], pa.string())]
    names = ("n", "v", "s", "b", "h", "f", "ok", "at", "at_text")
    with engine.begin() as conn:
        bulk.copy_arrow(conn, table, names, arrays)
        assert bulk._binary_kinds(table, names) == [">i4", "text", "text", ">i8", ">i2", ">f8",
                                                    "bool", "timestamp", "timestamp"]
        assert bulk._binary_kinds("arrow_types", names) is None  # not storage/schema's: CSV
    with engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(select(*table.c).order_by(table.c.n))]

    def utc(at: Any) -> Any:
        return at if at is None or at.tzinfo else at.replace(tzinfo=datetime.UTC)

    assert [r[1] for r in got] == values
    assert [r[2:7] for r in got] == [tuple(a[i].as_py() for a in arrays[2:7]) for i in range(n)]
    assert [utc(r[7]) for r in got] == arrays[7].to_pylist()
    assert [utc(r[8]) for r in got] == [None if t is None else datetime.datetime.fromisoformat(t)
                                        for t in arrays[8].to_pylist()]


def test_a_number_out_of_its_column_s_range_is_refused_never_wrapped(engine: Engine):
    """An integer column given a number it cannot hold is refused by the database (the binary COPY would wrap it
    silently: such a column goes as text); SQLite keeps any integer."""
    import pyarrow as pa

    meta = MetaData()
    table = Table("arrow_range", meta, Column("n", Integer, primary_key=True))
    meta.create_all(engine)
    if engine.dialect.name != "postgresql":
        return
    from psycopg.errors import DataError

    with pytest.raises(DataError, match="out of range"), engine.begin() as conn:
        bulk.copy_arrow(conn, table, ("n",), [pa.array([1, 2**40], pa.int64())])


def test_rows_of_long_values_go_in_batches_that_fit(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    """A batch of a binary COPY is joined into one array (offsets to 2 GiB): long rows go in smaller batches, and
    every row comes back once, in order."""
    import pyarrow as pa

    meta = MetaData()
    table = Table("arrow_long", meta, Column("n", Integer, primary_key=True), Column("v", Text))
    meta.create_all(engine)
    monkeypatch.setattr(bulk, "_BINARY_BATCH_BYTES", 10_000)  # (so that a few kB make several batches)
    values = [f"{i}:" + "长" * (i * 37 % 900) for i in range(300)]
    with engine.begin() as conn:
        bulk.copy_arrow(conn, table, ("n", "v"), [pa.array(range(300), pa.int64()), pa.array(values, pa.string())])
    with engine.connect() as conn:
        assert conn.execute(select(table.c.v).order_by(table.c.n)).scalars().all() == values
