"""Bulk writes straight on the driver, for the hot paths (library ingest, search keys), where
SQLAlchemy's per-row parameter processing would cost more than the database's own work: COPY on
PostgreSQL, executemany on SQLite. Every row holds every named column, with times already in the
driver's form (:func:`stamp`)."""

from __future__ import annotations

import datetime
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
    raw = conn.connection.driver_connection
    assert raw is not None, "a connection in a transaction has its driver connection"
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(pick(row) if len(columns) > 1 else (pick(row),))
