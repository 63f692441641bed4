"""What every format's reader gives: a :class:`Table` (a file's header and its rows in chunks) of
:class:`Chunk` (consecutive rows, column by column, with the issues of rows that could not be read as
cells), and the issues the readers share — a line or cell over its limit (and the marker that stands for
one, never held whole), a character no text can hold — and a number's text.

A :class:`Table` is the same whatever the format: CSV (delimiter and encoding detected; a row in another
encoding than the rest is flagged, not decoded wrongly), XLSX (first sheet), JSON Lines (one object per
line) and XML (one element per record under the root, one child element — or ``<field name="…">`` — per
value). Rows are numbered as the user sees them: the spreadsheet row for CSV and XLSX (header = row 1 when
it is the first row), the line for JSON Lines, the record's position for XML.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from jjjcredit.core.library import records

ROWS_PER_CHUNK = 32_768
#: Rows of a chunk of columns split by pyarrow: its arrays and what is made of them (a few times the rows' size)
#: stay in memory until it is written.
ARROW_ROWS_PER_CHUNK = 8_192
SURROGATE = re.compile("[\udc80-\udcff]")
TITLE_ROWS = 20  #: rows scanned for the header (a title line above it is skipped and reported)
SHOWN_MERGED = 50  #: the merged ranges a table lists (:attr:`Table.merged`)
SHOWN_SHEETS = 20  #: the sheets after the first a table names (:attr:`Table.sheets`)
#: How many of a row's cells name a field of what is read (a reader's own columns): tells the header from a
#: 填报单位 line above it (:func:`header_at`).
HeaderNames = Callable[[Sequence[str]], int]


def header_at(rows: Sequence[Sequence[str]], names: HeaderNames | None = None) -> int | None:
    """Where the header is among a file's first rows: the first row with two cells or more filled — unless
    ``names`` says that one names no field (a 填报单位 or 填报日期 line above the column names), then the first
    after it naming two or more (the first still, when none does); ``None`` when no row has two cells filled.

    >>> names = lambda row: sum(cell in ("文号", "名称") for cell in row)
    >>> header_at([["2026年行政处罚"], ["填报单位：某局", "填报日期：2026-03-01"], ["文号", "名称"], ["1", "甲"]],
    ...           names)
    2
    >>> header_at([["填报单位：某局", "日期"], ["a", "b"]], names), header_at([["x"], [""]], names)
    (0, None)
    """
    first = next((i for i, row in enumerate(rows) if sum(1 for cell in row if cell.strip()) >= 2), None)
    if first is None or names is None or names(rows[first]):
        return first
    return next((i for i in range(first + 1, len(rows)) if names(rows[i]) >= 2), first)


class ArrowColumn(Sequence[str]):
    """A column of a chunk read by pyarrow (:attr:`array`, for a reader of columns), its cells made Python
    strings only when a row asks for one — or all of them at once, when the column is iterated."""

    def __init__(self, array: Any) -> None:
        self.array = array
        self._cells: list[str] | None = None

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice) or self._cells is not None:
            return self.cells()[i]
        return str(self.array[i].as_py())

    def __iter__(self) -> Iterator[str]:
        return iter(self.cells())

    def cells(self) -> list[str]:
        if self._cells is None:
            self._cells = self.array.to_pylist()
        return self._cells


@dataclass
class Chunk:
    """Consecutive rows, column by column: ``columns[j][i]`` is cell ``j`` of row ``first_row + i``.
    ``issues`` flags rows that could not be read as cells (index → code, message, value shown; their
    cells are empty); ``stripped`` says that no cell has surrounding spaces."""

    first_row: int
    size: int
    columns: Sequence[Sequence[str]]
    issues: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    stripped: bool = False
    longest: int | None = None  #: no cell is longer than this (when the reader knows)

    @classmethod
    def from_rows(cls, first_row: int, rows: list[list[str]], width: int,
                  issues: dict[int, tuple[str, str, str]] | None = None) -> Chunk:
        for i in issues or ():
            rows[i] = []  # the cells of a row that could not be read say nothing
        columns, ragged = records.to_columns(rows, width)
        return cls(first_row, len(rows), columns, {**ragged, **(issues or {})})


@dataclass
class Table:
    """A file opened for its rows. Use as a context manager; ``chunks`` streams."""

    name: str
    format: str  #: csv, xlsx, jsonl or xml
    encoding: str | None
    header: list[str]
    header_row: int  #: where the header is (rows above it, e.g. a title line, are skipped)
    chunks: Iterator[Chunk]
    _close: Callable[[], None] = lambda: None
    #: XLSX: the merged cells spanning rows whose value was read as every covered row's (``B5:B9``), as
    #: the rows are read
    merged: list[str] = field(default_factory=list)
    #: XLSX: the workbook's worksheets by name, the first the one read, then up to :data:`SHOWN_SHEETS` others
    sheets: tuple[str, ...] = ()
    sheet_count: int = 0  #: XLSX: how many worksheets the workbook has (``sheets`` names the first of them)
    #: JSON Lines or XML of no record at all (no header to read): a report of none where the caller takes one
    no_records: bool = False

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()


#: The fields a reader of records of named values (JSON Lines, XML) may meet after its first chunk, given
#: the header read from the first chunk's records: columns it has from the start, empty until then.
MoreFields = Callable[[Sequence[str]], Sequence[str]]


#: What stands for a line or cell over its limit: a NUL (no text file holds one; binary files are
#: refused) and the size that was skipped.
OVER = "\x00"


def over(size: int) -> str:
    return f"{OVER}{size}"


def is_over(text: str) -> bool:
    return text[:1] == OVER and text[1:].isdigit()


def too_long_line(text: str, limit: int, what: str = "line") -> tuple[str, str, str]:
    return ("record.too_long", f"The {what} holds {int(text[1:]):,} bytes, more than the limit of {limit:,} "
            "(setting JJJCREDIT_LIMIT_LINE_BYTES); it was skipped unread: split or shorten it.", "")


def too_long_cell(column: str, size: int | str, limit: int) -> tuple[str, str, str]:
    return ("record.too_long", f'The cell in column "{column[:80]}" holds {size} characters, more than the limit '
            f"of {limit:,} (setting JJJCREDIT_LIMIT_CELL_CHARS); shorten it.", "")


def long_cells(rows: Sequence[Sequence[str]], header: Sequence[str], limit: int,
                issues: dict[int, tuple[str, str, str]]) -> None:
    """Rows with a cell over ``limit`` characters (or a cell that stands for one) into ``issues``."""
    for i, row in enumerate(rows):
        if i in issues:
            continue
        for j, cell in enumerate(row):
            if len(cell) > limit or is_over(cell):
                column = header[j] if j < len(header) else f"{j + 1}"
                issues[i] = too_long_cell(column, f"{int(cell[1:]) if is_over(cell) else len(cell):,}", limit)
                break


def unheld(column: str | None) -> tuple[str, str, str]:
    """The issue of a row with a NUL or a lone surrogate in the cell of ``column`` (``None``: in a JSON
    Lines field name); the value is not shown: it cannot be, and it may be personal data."""
    where = f'Field "{column}"' if column is not None else "A field name"
    return ("record.bad_characters", f"{where} holds a NUL character or a lone surrogate (half of a UTF-16 pair, "
            "such as the JSON escape \\ud800), which no text here can hold; correct the value in the file and "
            "send the row again.", "")


def number_text(value: float) -> str:
    """A number cell or JSON number as the digits it holds: a small one never in exponent form (``5e-05``,
    which no amount check reads, is ``0.00005``); one of 16 digits or more stays in it (``1.3e+17``: a
    spreadsheet keeps 15 significant digits, so an identity number typed as a number has lost its last ones,
    and written out whole it would pass for one with a wrong check character).

    >>> number_text(500.0), number_text(0.35), number_text(5e-05), number_text(130104198005069987.0)
    ('500', '0.35', '0.00005', '1.3010419800506998e+17')
    """
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    return format(decimal.Decimal(text), "f") if "e-" in text else text
