"""Bulk writes straight on the driver, for the hot paths (library ingest, search keys), where
SQLAlchemy's per-row parameter processing would cost more than the database's own work: COPY on
PostgreSQL, executemany on SQLite. Every row holds every named column, with times already in the
driver's form (:func:`stamp`)."""

from __future__ import annotations

import csv
import datetime
import io
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection


def stamp(conn: Connection, moment: datetime.datetime) -> Any:
    """A time as the driver takes it: SQLite gets the text SQLAlchemy stores times as, PostgreSQL an ISO
    text with its offset (as quick to write into a COPY as any text; a datetime is slow to format)."""
    if conn.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.isoformat(sep=" ") if conn.dialect.name == "postgresql" else moment


def tuples(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples of ``columns``, in that order: what :func:`insert_tuples` and
    :func:`execute_tuples` take (and what crosses between processes cheaper than dictionaries)."""
    pick = operator.itemgetter(*columns)
    return [pick(row) for row in rows] if len(columns) > 1 else [(pick(row),) for row in rows]


def execute_many(conn: Connection, sql: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """``sql`` with ``{columns}``, ``{marks}``, ``{sets}`` (all columns but the last) and ``{mark}``
    filled in for the driver's parameter style, run once per row."""
    execute_tuples(conn, sql, columns, tuples(columns, rows))


def execute_tuples(conn: Connection, sql: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """:func:`execute_many` of rows already in ``columns``' order."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    text = sql.format(columns=", ".join(columns), marks=", ".join([mark] * len(columns)),
                      sets=", ".join(f"{c} = {mark}" for c in columns[:-1]), mark=mark)
    conn.exec_driver_sql(text, list(rows))


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows: COPY on PostgreSQL (an order of magnitude faster than INSERTs), executemany on
    SQLite."""
    if rows:
        insert_tuples(conn, table, columns, tuples(columns, rows))


def insert_tuples(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """:func:`insert_rows` of rows already in ``columns``' order."""
    insert_prepared(conn, table, prepare(conn.dialect.name, columns, rows))


@dataclass(frozen=True)
class Prepared:
    """Rows made ready for :func:`insert_prepared` — for PostgreSQL, the text of the COPY — possibly in
    another process than the one that writes them."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]  #: the rows, unless ``csv`` holds them
    csv: str | None = None


def prepare(dialect: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Prepared:
    """Rows in ``columns``' order made ready to insert on ``dialect``: for PostgreSQL the CSV that COPY
    reads, written by the csv module (C) — an unquoted empty field is NULL, and when no value is an
    empty string it cannot be mistaken for one; several times faster than psycopg's write_row."""
    if dialect == "postgresql" and rows and not any("" in t for t in rows):
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        return Prepared(tuple(columns), (), text.getvalue())
    return Prepared(tuple(columns), rows)


def insert_prepared(conn: Connection, table: str, prepared: Prepared) -> None:
    """Insert rows :func:`prepare` made ready: COPY on PostgreSQL (an order of magnitude faster than
    INSERTs), executemany on SQLite."""
    if not prepared.rows and prepared.csv is None:
        return
    if conn.dialect.name != "postgresql":
        execute_tuples(conn, f"INSERT INTO {table} ({{columns}}) VALUES ({{marks}})", prepared.columns, prepared.rows)
        return
    raw = conn.connection.driver_connection
    assert raw is not None, "a connection in a transaction has its driver connection"
    names = ", ".join(prepared.columns)
    with raw.cursor() as cursor:
        if prepared.csv is not None:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(prepared.csv)
            return
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in prepared.rows:
                copy.write_row(row)
