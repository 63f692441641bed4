"""Bulk writes straight on the driver, for the hot paths (library ingest, search keys, an exchange's
apply), where SQLAlchemy's per-row parameter processing would cost more than the database's own work:
COPY on PostgreSQL, executemany on SQLite. Every row holds every named column, with times already in the
driver's form (:func:`stamp`). And the look-up of many keys at once (:func:`among`)."""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, Dialect, Text, TypeDecorator, any_, bindparam
from sqlalchemy.exc import IntegrityError

#: Keys one look-up sends on SQLite (``IN``: a parameter each) and on PostgreSQL (``= ANY``: one array,
#: however many — 50,000 measured at half the time a key of 2,000 a statement takes).
IN_CHUNK = 2_000
ARRAY_CHUNK = 50_000


def among(conn: Connection, column: ColumnElement[Any], keys: Sequence[str]) -> Iterator[ColumnElement[bool]]:
    """``column`` among ``keys``, a condition per chunk of them: ``= ANY(array)`` on PostgreSQL (one
    parameter, so a chunk can be large), ``IN`` on SQLite."""
    if conn.dialect.name == "postgresql":
        for start in range(0, len(keys), ARRAY_CHUNK):
            yield column == any_(bindparam(None, array_text(keys[start:start + ARRAY_CHUNK]), type_=_ArrayText()))
        return
    for start in range(0, len(keys), IN_CHUNK):
        yield column.in_(keys[start:start + IN_CHUNK])


class _ArrayText(TypeDecorator[str]):
    """A ``text[]`` parameter given as the text of the array (:func:`array_text`), which PostgreSQL reads
    when it binds it: a constant to the planner (an index scan, a hashed ``= ANY``), where a cast in the
    statement (``CAST($1 AS text[])``) is read once a row — a scan comparing every row with every key."""

    impl = ARRAY(Text)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def array_text(keys: Sequence[str]) -> str:
    r"""The text PostgreSQL reads as the array of ``keys`` (``CAST(… AS text[])``): every element quoted, its
    quotes and backslashes escaped — joined by C code, where psycopg's array dumper takes a Python step a key.

    >>> print(array_text(["a", "d,e", 'b"c']))
    {"a","d,e","b\"c"}
    """
    joined = '","'.join(keys)
    if "\\" in joined or joined.count('"') != 2 * (len(keys) - 1):  # a key holds a quote or a backslash
        joined = '","'.join(k.replace("\\", "\\\\").replace('"', '\\"') for k in keys)
    return '{"' + joined + '"}' if keys else "{}"


@contextlib.contextmanager
def by_index(conn: Connection) -> Iterator[None]:
    """Look-ups of keys (:func:`among`) planned as index searches, on PostgreSQL, for the rest of the ``with``.

    PostgreSQL's planner costs a search of each of 10,000 keys in a table's index above one scan of the whole
    table of under a million rows comparing every row with the keys — which takes five times as long (0.35 s
    against 0.065 s at 970,000 organizations, measured); a search is never much worse (a key a few index
    pages), so while a package is applied the scan is ruled out. In a transaction (``SET LOCAL``)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    prior = conn.exec_driver_sql("SELECT current_setting('enable_seqscan')").scalar_one()
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    yield  # an error ends the transaction, and the setting with it
    conn.exec_driver_sql("SELECT set_config('enable_seqscan', %s, true)", (prior,))


def stamp(conn: Connection, moment: datetime.datetime) -> Any:
    """A time as the driver takes it: SQLite gets the text SQLAlchemy stores times as, PostgreSQL an ISO
    text with its offset (as quick to write into a COPY as any text; a datetime is slow to format)."""
    if conn.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.isoformat(sep=" ") if conn.dialect.name == "postgresql" else moment


def tuples(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples of ``columns``, in that order: what :func:`execute_tuples` takes (and what
    crosses between processes cheaper than dictionaries)."""
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
    insert_prepared(conn, table, prepare(conn.dialect.name, columns, rows))


#: The field separator of the COPY text :func:`prepare` writes: a control character no normalized
#: value holds (checked, not assumed: a text that holds it in a value is written another way).
_SEPARATOR = "\x1f"
_TEXT_OPTIONS = "FORMAT text, DELIMITER E'\\x1f', NULL ''"


@dataclass(frozen=True)
class Prepared:
    """Rows made ready for :func:`insert_prepared` — for PostgreSQL, the text of the COPY — possibly in
    another process than the one that writes them."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]  #: the rows as tuples, unless ``text`` holds them
    text: str | None = None
    #: The COPY options ``text`` is written for.
    options: str = ""


def prepare(dialect: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Prepared:
    """Rows made ready to insert on ``dialect``: :func:`prepare_columns` of their columns."""
    return prepare_columns(dialect, columns, [list(map(operator.itemgetter(name), rows)) for name in columns])


def prepare_columns(dialect: str, columns: Sequence[str], fields: Sequence[Sequence[Any]],
                    constants: Sequence[Any] = ()) -> Prepared:
    """Rows given column by column (``fields[j][i]``: column ``j`` of row ``i``), then ``constants``
    (the same in every row, for the last columns), made ready to insert on ``dialect``.

    For PostgreSQL the text COPY reads, joined by C code (no Python work per value, but for NULLs and
    numbers; the constants written once, as every line's end): fields apart by :data:`_SEPARATOR`, an
    empty field NULL — which needs no value to be the empty string, and the counted separators, line
    ends and backslashes to be the text's own. Else CSV (the csv module, when no value is an empty
    string), else psycopg writes row by row. Tuples for SQLite."""
    if not fields or not fields[0]:
        return Prepared(tuple(columns), [])
    n = len(fields[0])
    if constants:
        tail = _SEPARATOR + _SEPARATOR.join(map(str, constants))
        if (dialect == "postgresql" and "" not in constants and None not in constants
                and tail.count(_SEPARATOR) == len(constants)):
            text = _copy_text(n, fields, tail)
            if text is not None:
                return Prepared(tuple(columns), (), text, _TEXT_OPTIONS)
        fields = [*fields, *([value] * n for value in constants)]
    if dialect != "postgresql":
        return Prepared(tuple(columns), list(zip(*fields, strict=True)))
    text = _copy_text(n, fields)
    if text is not None:
        return Prepared(tuple(columns), (), text, _TEXT_OPTIONS)
    as_tuples = list(zip(*fields, strict=True))
    if any("" in t for t in as_tuples):
        return Prepared(tuple(columns), as_tuples)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(as_tuples)
    return Prepared(tuple(columns), (), buffer.getvalue(), "FORMAT csv")


def _copy_text(n: int, fields: Sequence[Sequence[Any]], tail: str = "") -> str | None:
    texts: list[Sequence[str]] = []
    for column in fields:
        if "" in column:
            return None
        if None in column:
            column = ["" if v is None else v for v in column]
        if type(column[0]) is not str:
            column = list(map(str, column))  # numbers, times: their str() is what PostgreSQL reads
        texts.append(column)
    try:
        lines = list(map(_SEPARATOR.join, zip(*texts, strict=True)))
    except TypeError:  # a column of mixed types (a number after a NULL, say)
        texts = [c if set(map(type, c)) == {str} else list(map(str, c)) for c in texts]
        lines = list(map(_SEPARATOR.join, zip(*texts, strict=True)))
    text = (tail + "\n").join(lines) + tail + "\n"
    if (text.count("\n") != n or text.count(_SEPARATOR) != n * (len(fields) - 1 + tail.count(_SEPARATOR))
            or "\\" in text or "\r" in text):
        return None
    return text


def insert_prepared(conn: Connection, table: str, prepared: Prepared) -> None:
    """Insert rows :func:`prepare` made ready: COPY on PostgreSQL (an order of magnitude faster than
    INSERTs), executemany on SQLite."""
    if not prepared.rows and prepared.text is None:
        return
    if conn.dialect.name != "postgresql":
        execute_tuples(conn, f"INSERT INTO {table} ({{columns}}) VALUES ({{marks}})", prepared.columns, prepared.rows)
        return
    raw = conn.connection.driver_connection
    assert raw is not None, "a connection in a transaction has its driver connection"
    names = ", ".join(prepared.columns)
    with raw.cursor() as cursor:
        if prepared.text is not None:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH ({prepared.options})") as copy:
                copy.write(prepared.text)
            return
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in prepared.rows:
                copy.write_row(row)


#: Rows a batch of :func:`copy_arrow` writes as CSV at once (a few MB of text).
ARROW_BATCH = 20_000


def copy_arrow(conn: Connection, table: str, columns: Sequence[str], arrays: Sequence[Any]) -> None:
    """Insert rows held as pyarrow arrays (one a column, in ``columns``' order): by ``COPY … (FORMAT csv)`` on
    PostgreSQL, the CSV written by pyarrow (C++, no Python step a value) a batch at a time — every text
    quoted (``""`` the empty string), a null unquoted and empty, which is what COPY reads as NULL; on
    SQLite as :func:`insert_prepared` inserts rows."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    held = pa.table(list(arrays), names=list(columns))
    if not held.num_rows:
        return
    if conn.dialect.name != "postgresql":
        execute_tuples(conn, f"INSERT INTO {table} ({{columns}}) VALUES ({{marks}})", tuple(columns),
                       list(zip(*(column.to_pylist() for column in held.columns), strict=True)))
        return
    raw = conn.connection.driver_connection
    assert raw is not None, "a connection in a transaction has its driver connection"
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in held.to_batches(max_chunksize=ARROW_BATCH):
            text = io.BytesIO()
            pa_csv.write_csv(batch, text, options)
            copy.write(text.getbuffer())


def copy_arrow_new(conn: Connection, table: str, columns: Sequence[str], arrays: Sequence[Any]) -> bool:
    """:func:`copy_arrow` of rows expected new, without looking their keys up first: ``True`` when every row
    went in; ``False`` when one's key was in ``table`` already — then none went in (the copy ran in a
    savepoint, rolled back) and the caller looks the keys up. The copy stops at the first row held, so a
    package mostly held costs little more than its look-up."""
    unique: tuple[type[BaseException], ...] = (IntegrityError,)
    if conn.dialect.name == "postgresql":
        from psycopg.errors import UniqueViolation

        unique = (IntegrityError, UniqueViolation)
    try:
        with conn.begin_nested():
            copy_arrow(conn, table, columns, arrays)
    except unique:
        return False
    return True
