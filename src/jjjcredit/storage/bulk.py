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
from typing import Any

from sqlalchemy import Connection


def stamp(conn: Connection, moment: datetime.datetime) -> Any:
    """A time as the driver takes it: SQLite gets the text SQLAlchemy stores times as."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dialect.name == "sqlite" else moment


def execute_many(conn: Connection, sql: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """``sql`` with ``{columns}``, ``{marks}``, ``{sets}`` (all columns but the last) and ``{mark}``
    filled in for the driver's parameter style, run once per row."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    text = sql.format(columns=", ".join(columns), marks=", ".join([mark] * len(columns)),
                      sets=", ".join(f"{c} = {mark}" for c in columns[:-1]), mark=mark)
    pick = operator.itemgetter(*columns)
    conn.exec_driver_sql(text, [pick(row) for row in rows])


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows: COPY on PostgreSQL (an order of magnitude faster than INSERTs), executemany on
    SQLite."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        execute_many(conn, f"INSERT INTO {table} ({{columns}}) VALUES ({{marks}})", columns, rows)
        return
    pick = operator.itemgetter(*columns)
    tuples = [pick(row) for row in rows] if len(columns) > 1 else [(pick(row),) for row in rows]
    raw = conn.connection.driver_connection
    assert raw is not None, "a connection in a transaction has its driver connection"
    names = ", ".join(columns)
    with raw.cursor() as cursor:
        if not any("" in t for t in tuples):
            # CSV written by the csv module (C): an unquoted empty field is NULL, and no value is an
            # empty string that it could be mistaken for. Several times faster than write_row.
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(tuples)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(text.getvalue())
            return
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in tuples:
                copy.write_row(row)
