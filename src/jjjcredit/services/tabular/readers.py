"""What the rest of the platform reads files with: :func:`open_table` (a CSV, XLSX, JSON Lines or XML file's
whole rows as column chunks, its format told from its content and name — every domain reads files with
it), :func:`read_column` (one column of a CSV or XLSX file, by header name or number), :func:`read_lines`
and :func:`read_line_batches` (a text file's lines, or standard input's)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from jjjcredit.core import limits as limits_
from jjjcredit.services.tabular import decoding, delimited, files, named, tables, xlsx
from jjjcredit.services.tabular.files import Cell, InputFileError
from jjjcredit.services.tabular.tables import MoreFields, Table


def _format_of(path: str, head: bytes, name: str) -> str:
    suffix = Path(path).suffix.lower()
    if head.startswith(files.XLSX_MAGIC):
        return "xlsx"
    if suffix in (".xlsx", ".xlsm"):
        raise InputFileError("file.xlsx_damaged", f"{name}: is named .xlsx but is not an XLSX workbook (a zip "
                             "archive); it may be truncated or renamed: export it again.")
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError("file.format", f"{name}: is an old Excel .xls workbook; save it as .xlsx or CSV "
                             "(UTF-8) and check that file.")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in (".jsonl", ".ndjson", ".json") or text.startswith(b"{"):
        return "jsonl"
    if suffix == ".xml" or text.startswith(b"<"):
        return "xml"
    return "csv"


def open_table(path: str, chunk_rows: int = tables.ROWS_PER_CHUNK, limits: limits_.Limits = limits_.DEFAULT,
               more_fields: MoreFields | None = None, none_ok: bool = False, arrow: bool = False,
               header_names: tables.HeaderNames | None = None) -> Table:
    """Open a CSV, XLSX, JSON Lines or XML file for its rows; raise :class:`InputFileError` when the
    file itself cannot be read (missing, empty, binary, damaged, no header). Lines and cells over
    ``limits`` are rejected rows (``record.too_long``), never held whole. JSON Lines and XML take their
    header from the fields of the first chunk's records, and ``more_fields`` of it (a field first met
    later is otherwise a record out of shape). A JSON Lines or XML file of no record is a table of no row
    (``Table.no_records``, no header) when ``none_ok``, as a CSV file of a header only is; ``file.empty``
    otherwise. A file of no byte is ``file.empty`` whatever its format. ``arrow``: a CSV file's plain blocks
    come as columns split by pyarrow (:class:`tables.ArrowColumn`), for a reader of Arrow columns.
    ``header_names``: how many of a row's cells name a field, which tells a CSV or XLSX file's header from a line
    above it of two cells or more (:func:`tables.header_at`)."""
    stream, name = files.open_binary(path)
    try:
        head = files.head(stream)
        if not head:
            raise InputFileError("file.empty", f"{name}: the file is empty; expected a header row and rows.")
        kind = _format_of(path, head, name)
        if kind == "xlsx":
            stream.close()
            return xlsx.xlsx_table(path, name, chunk_rows, limits, header_names)
        if kind == "jsonl":
            return named.jsonl_table(stream, name, chunk_rows, limits, more_fields, none_ok)
        if kind == "xml":
            return named.xml_table(stream, name, chunk_rows, limits, more_fields, none_ok)
        return delimited.csv_table(stream, name, chunk_rows, limits, arrow, header_names)
    except BaseException:
        stream.close()
        raise


def read_line_batches(path: str | None) -> Iterator[list[str]]:
    """The lines of a text file (or standard input) in batches, for bulk work that needs no
    row numbers."""
    stream, name = files.open_binary(path)
    try:
        yield from decoding.line_batches(stream, name)
    finally:
        stream.close()


def read_lines(path: str | None) -> Iterator[Cell]:
    """Every line of a text file (or standard input), numbered from 1, line endings removed."""
    stream, name = files.open_binary(path)
    try:
        for number, line in decoding.text_lines(stream, name):
            yield Cell(number, line)
    finally:
        stream.close()


def _pick_column(header: list[str], column: str, name: str) -> int:
    cleaned = [h.strip().lstrip("\ufeff") for h in header]
    if column in cleaned:
        return cleaned.index(column)
    if column.isdigit() and 1 <= int(column) <= len(cleaned):
        return int(column) - 1
    shown = ", ".join(f'"{h}"' for h in cleaned) or "none"
    raise InputFileError(
        "file.missing_column", f'{name}: has no column "{column}"; its columns are {shown} '
        "(give a name or a number from 1).")


def read_column(path: str | None, column: str) -> Iterator[Cell]:
    """One column of a CSV or XLSX file, by header name or 1-based number; rows as in a
    spreadsheet (the header is row 1)."""
    stream, name = files.open_binary(path)
    try:
        if files.head(stream).startswith(files.XLSX_MAGIC):
            yield from _xlsx_column(stream.read(), column, name)
            return
        yield from _csv_column(decoding.text_lines(stream, name), column, name)
    finally:
        stream.close()


def _csv_column(lines: Iterator[tuple[int, str]], column: str, name: str) -> Iterator[Cell]:
    numbered = iter(lines)
    current = [0]

    def feed() -> Iterator[str]:
        for number, line in numbered:
            current[0] = number
            yield line

    reader = csv.reader(feed())
    header = next(reader, None)
    if header is None:
        raise InputFileError("file.empty", f"{name}: the file is empty; expected a header row.")
    index = _pick_column(header, column, name)
    for record in reader:
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        value = record[index] if index < len(record) else ""
        yield Cell(current[0], value)


def _xlsx_column(data: bytes, column: str, name: str) -> Iterator[Cell]:
    """One column of the first sheet, read by :class:`xlsx.XlsxRows` like every XLSX file (the header is
    row 1)."""
    rows = xlsx.XlsxRows(io.BytesIO(data), name)
    try:
        header = next(rows, None)
        if header is None:
            raise InputFileError("file.empty", f"{name}: the first sheet is empty.")
        index = _pick_column(header, column, name)
        rows.limit_width(max((i + 1 for i, c in enumerate(header) if c.strip()), default=0))
        for cells in rows:
            if any(cells):
                yield Cell(rows.number, cells[index] if index < len(cells) else "")
    finally:
        rows.close()
