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

import numpy as np
from sqlalchemy import ARRAY, ColumnElement, Connection, Dialect, Table, Text, TypeDecorator, any_, bindparam
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


#: Rows a batch of :func:`copy_arrow` writes at once (a few tens of MB).
ARROW_BATCH = 20_000
#: Binary COPY: the signature, flags and header extension, then tuples, then the trailer (PostgreSQL's
#: "COPY … (FORMAT binary)" file format).
_BINARY_HEAD = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TAIL = b"\xff\xff"
#: Bytes of arrays a batch of a binary COPY holds at most (as rows go: a row is never cut).
_BINARY_BATCH_BYTES = 256 << 20
#: Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), which binary times count from.
_PG_EPOCH_US = 946_684_800_000_000


def copy_arrow(conn: Connection, table: str | Table, columns: Sequence[str], arrays: Sequence[Any]) -> None:
    """Insert rows held as pyarrow arrays (one a column, in ``columns``' order) into ``table`` (a table of
    storage/schema by its name, or a Table). On PostgreSQL by ``COPY … (FORMAT binary)``: each row's fields
    encoded by pyarrow and numpy (no Python step a value) from the column's type (text as UTF-8; integers,
    floats and times as PostgreSQL sends them) — the server then parses no text, which takes it about 40 %
    less time on a wide row; a table, a column type or an array not known goes by ``COPY … (FORMAT csv)`` as
    pyarrow writes CSV. On SQLite as :func:`insert_prepared` inserts rows."""
    import pyarrow as pa

    held = pa.table(list(arrays), names=list(columns))
    if not held.num_rows:
        return
    name = table if isinstance(table, str) else table.name
    if conn.dialect.name != "postgresql":
        execute_tuples(conn, f"INSERT INTO {name} ({{columns}}) VALUES ({{marks}})", tuple(columns),
                       list(zip(*(column.to_pylist() for column in held.columns), strict=True)))
        return
    raw = conn.connection.driver_connection
    assert raw is not None, "a connection in a transaction has its driver connection"
    kinds = _binary_kinds(table, columns)
    if kinds is None or not all(_sendable(a, k) for a, k in zip(held.columns, kinds, strict=True)):
        _copy_csv(raw, name, columns, held)
        return
    with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)") \
            as copy:
        copy.write(_BINARY_HEAD)
        # (a batch's fields are joined into one binary array, whose offsets end at 2 GiB: rows of long values go
        # in smaller batches)
        rows = max(1, min(ARROW_BATCH, (_BINARY_BATCH_BYTES * held.num_rows) // max(held.nbytes, 1)))
        for batch in held.to_batches(max_chunksize=rows):
            copy.write(binary_rows(batch.columns, kinds))
        copy.write(_BINARY_TAIL)


def _copy_csv(raw: Any, table: str, columns: Sequence[str], held: Any) -> None:
    """:func:`copy_arrow` by ``COPY … (FORMAT csv)``: every text quoted (``""`` the empty string), a null
    unquoted and empty, which is what COPY reads as NULL."""
    import pyarrow.csv as pa_csv

    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in held.to_batches(max_chunksize=ARROW_BATCH):
            text = io.BytesIO()
            pa_csv.write_csv(batch, text, options)
            copy.write(text.getbuffer())


def _binary_kinds(table: str | Table, columns: Sequence[str]) -> list[str] | None:
    """How each column is sent in a binary COPY, from its type (a table named is storage/schema's): ``text``,
    ``>i2``, ``>i4``, ``>i8``, ``>f8``, ``bool`` or ``timestamp``; ``None`` when the table or a column's type is
    not known."""
    from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, SmallInteger, String

    from jjjcredit.storage.schema import metadata

    known = metadata.tables.get(table) if isinstance(table, str) else table
    if known is None:
        return None
    # (the first a column's type is an instance of: Text is a String, BigInteger and SmallInteger are Integers)
    sent_as = ((String, "text"), (BigInteger, ">i8"), (SmallInteger, ">i2"), (Integer, ">i4"), (Float, ">f8"),
               (Boolean, "bool"), (DateTime, "timestamp"))
    kinds: list[str] = []
    for name in columns:
        column = known.columns.get(name)
        if column is None:
            return None
        kind = next((k for sql_type, k in sent_as if isinstance(column.type, sql_type)), None)
        if kind is None or (kind == ">f8" and (getattr(column.type, "precision", None) or 53) <= 24):
            return None  # (a float of 24 bits or fewer is PostgreSQL's real, four bytes: sent as text)
        kinds.append(kind)
    return kinds


def binary_rows(arrays: Sequence[Any], kinds: Sequence[str]) -> Any:
    """The tuples of a binary COPY (without its head and trail) of rows held as pyarrow arrays, each column
    sent as ``kinds`` says (:func:`_binary_kinds`): a field count a row, then a field's length (-1: null) and
    bytes. A buffer: every row's fields joined by pyarrow (the data of one binary array, row after row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arrays[0])
    parts: list[Any] = [pa.scalar(len(arrays).to_bytes(2, "big"), pa.binary())]
    for array, kind in zip(arrays, kinds, strict=True):
        parts.extend(_binary_field(array, kind))
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, b"")
    if isinstance(joined, pa.Scalar):  # (no column)
        return joined.as_buffer().to_pybytes() * n
    _validity, offsets, data = joined.buffers()
    at = np.frombuffer(offsets, dtype=np.int32)[joined.offset:joined.offset + n + 1]
    return memoryview(data)[int(at[0]):int(at[-1])] if data is not None else b""


def _sendable(array: Any, kind: str) -> bool:
    """Whether a column's array is sent as ``kind`` in a binary COPY: text as text, times as times (or their
    ISO text), numbers as numbers within the column's range (one out of it goes as text, which the server
    refuses by name); a column of nulls as anything."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind_of = array.type
    texts = bool(pa.types.is_string(kind_of) or pa.types.is_large_string(kind_of))
    if pa.types.is_null(kind_of) or (len(array) and array.null_count == len(array)):
        return True
    if kind == "text":
        return texts
    if kind == "timestamp":
        return texts or bool(pa.types.is_timestamp(kind_of))
    if kind == "bool":
        return bool(pa.types.is_boolean(kind_of))
    if kind == ">f8":
        return bool(pa.types.is_integer(kind_of) or pa.types.is_floating(kind_of) or pa.types.is_boolean(kind_of))
    if pa.types.is_boolean(kind_of):
        return True
    if not pa.types.is_integer(kind_of):
        return False
    if not len(array):
        return True
    extremes = pc.min_max(array)
    bounds = np.iinfo(np.dtype(kind))
    return bool(bounds.min <= extremes["min"].as_py() and extremes["max"].as_py() <= bounds.max)


def _binary_field(array: Any, kind: str) -> list[Any]:
    """A column's fields in a binary COPY (the array :func:`_sendable` as ``kind``): binary arrays to join,
    row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    nulls = np.asarray(pc.is_null(array).to_numpy(zero_copy_only=False), dtype=np.bool_)
    if pa.types.is_null(array.type) or (n and array.null_count == n):
        return [_lengths(np.full(n, -1, dtype=np.int64))]
    if kind == "text":
        sizes = np.asarray(pc.fill_null(pc.binary_length(array), -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        return [_lengths(sizes), pc.fill_null(array.cast(pa.binary()), b"")]
    if kind == "timestamp":
        if not pa.types.is_timestamp(array.type):
            array = array.cast(pa.timestamp("us", "UTC"))
        micros = pc.fill_null(array.cast(pa.timestamp("us", array.type.tz)).cast(pa.int64()), 0)
        values = micros.to_numpy(zero_copy_only=False).astype(np.int64) - _PG_EPOCH_US
        return [_fixed(values.astype(">i8").view(np.uint8).reshape(n, 8), nulls)]
    if kind == "bool":
        flags = pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(np.uint8)
        return [_fixed(flags.reshape(n, 1), nulls)]
    numbers = pc.fill_null(array, 0).to_numpy(zero_copy_only=False)
    width = np.dtype(kind).itemsize
    return [_fixed(numbers.astype(kind).view(np.uint8).reshape(n, width), nulls)]


def _lengths(sizes: Any) -> Any:
    """Each field's length as a binary COPY gives it: four bytes, big-endian (-1: null)."""
    import pyarrow as pa

    raw = np.asarray(sizes, dtype=">i4").tobytes()
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(4), len(sizes), [None, pa.py_buffer(raw)]).cast(pa.binary())


def _fixed(values: Any, nulls: Any) -> Any:
    """Fields of one width (``values``: a row of bytes a field), a null one as its length -1 alone."""
    import pyarrow as pa

    n, width = values.shape
    whole = np.empty((n, 4 + width), dtype=np.uint8)
    whole[:, :4] = np.frombuffer(np.array([width], dtype=">i4").tobytes(), dtype=np.uint8)
    whole[:, 4:] = values
    if not nulls.any():
        return pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 + width), n, [None, pa.py_buffer(whole.tobytes())]) \
            .cast(pa.binary())
    whole[nulls, :4] = 0xFF
    keep = np.ones_like(whole, dtype=np.bool_)
    keep[nulls, 4:] = False
    ends = np.where(nulls, 4, 4 + width).cumsum()
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    return pa.BinaryArray.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets.tobytes()),
                                                         pa.py_buffer(whole[keep].tobytes())])


def copy_arrow_new(conn: Connection, table: str | Table, columns: Sequence[str], arrays: Sequence[Any]) -> bool:
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
