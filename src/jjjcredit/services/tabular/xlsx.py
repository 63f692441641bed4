"""XLSX workbooks: the one reader of their first sheet (:class:`XlsxRows`, behind ``open_table`` and
``read_column``), on openpyxl's read-only reader bounded — a part that would expand past what a spreadsheet
program writes is refused before it is read, a shared string over the limit is counted, never held, a cell
written inline in the sheet is refused past what a cell may be — a cell's value as text (a date as
``YYYYMMDD``), a cell merged over rows read in every row it covers; and the sheet as a table of rows."""

from __future__ import annotations

import datetime
import functools
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any
from xml.etree import ElementTree

import numpy as np

from jjjcredit.core import limits as limits_
from jjjcredit.services.tabular import files, tables
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.services.tabular.tables import Chunk, Table


def _cell_text(value: object) -> str:
    """A cell's value as text; a date as the platform writes dates, ``YYYYMMDD`` (a time of day, when
    the cell has one, after it).

    >>> _cell_text(datetime.datetime(2019, 3, 5)), _cell_text(datetime.date(2019, 3, 5))
    ('20190305', '20190305')
    >>> _cell_text(datetime.datetime(2019, 3, 5, 8, 30)), _cell_text(500.0), _cell_text(True)
    ('20190305 08:30:00', '500', 'true')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y%m%d") if value.time() == datetime.time() else value.strftime("%Y%m%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d")
    if isinstance(value, float):
        return tables.number_text(value)
    return str(value)


_XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, EOFError, TypeError,
                ElementTree.ParseError)


def _shared_strings(source: IO[bytes], limit: int) -> list[str]:
    """An XLSX's shared strings table (what openpyxl's reader gives: the text of each ``<si>``, its
    phonetic runs left out), parsed a piece at a time: a string over ``limit`` characters is counted,
    never held, and its marker (:func:`tables.over`) stands in the table."""
    from xml.parsers import expat

    strings: list[str] = []
    parts: list[str] = []
    state = {"size": 0, "text": 0, "phonetic": 0}

    def start(tag: str, _attrs: object) -> None:
        local = tag.rsplit(" ", 1)[-1]
        if local == "si":
            parts.clear()
            state["size"] = 0
        elif local == "rPh":
            state["phonetic"] += 1
        elif local == "t" and not state["phonetic"]:
            state["text"] += 1

    def end(tag: str) -> None:
        local = tag.rsplit(" ", 1)[-1]
        if local == "si":
            size = state["size"]
            strings.append(tables.over(size) if size > limit else "".join(parts).replace("x005F_", ""))
            if len(strings) > SHARED_STRINGS:
                raise InputFileError("file.xlsx_strings", f"the workbook holds more than {SHARED_STRINGS:,} shared "
                                     "strings (the cells of 16 full columns of text); nothing was recorded: split it.")
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "t" and not state["phonetic"]:
            state["text"] -= 1

    def text(data: str) -> None:
        if state["text"]:
            state["size"] += len(data)
            if state["size"] <= limit:
                parts.append(data)

    def no_doctype(*_args: object) -> None:
        raise ValueError("the shared strings declare a document type (entities are not accepted)")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = text, no_doctype
    while piece := source.read(files.SAMPLE):
        parser.Parse(piece, False)
    parser.Parse(b"", True)
    return strings


#: Shared strings a workbook may hold: a full sheet (1,048,576 rows) of 16 text columns, each its own.
SHARED_STRINGS = 1 << 24
#: What Excel itself writes at most in a cell; a longer cell does not come from a spreadsheet program.
EXCEL_CELL_CHARS = 32767


class _NoLongText(io.RawIOBase):
    """A worksheet's XML as openpyxl reads it, refused (:class:`InputFileError` ``file.xlsx_cell``) at the
    first stretch between tags longer than a cell may be (4 bytes a character), before it is held: a cell
    written inline in the sheet is otherwise read whole, however large it expands to."""

    def __init__(self, raw: IO[bytes], chars: int, name: str) -> None:
        super().__init__()
        self._raw, self._name = raw, name
        self._limit = 4 * max(chars, EXCEL_CELL_CHARS) + 1024
        self._run = 0  # bytes since the last "<"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            self._check(data)
        return n

    def _check(self, data: bytes) -> None:
        at = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x3C)  # every "<"
        if not len(at):
            self._run += len(data)
        else:
            longest = max(self._run + int(at[0]), int(np.diff(at).max()) if len(at) > 1 else 0)
            self._run = len(data) - int(at[-1]) - 1
            self._refuse_over(longest)
        self._refuse_over(self._run)

    def _refuse_over(self, size: int) -> None:
        if size > self._limit:
            raise InputFileError("file.xlsx_cell", f"{self._name}: the first sheet holds a cell of more than "
                                 f"{self._limit:,} bytes (a cell holds at most {EXCEL_CELL_CHARS:,} characters in "
                                 "Excel); nothing was recorded: export the sheet again from the spreadsheet program.")

    def close(self) -> None:
        self._raw.close()
        super().close()


#: How many times a worksheet or shared strings part may expand past what it takes in the workbook (a
#: spreadsheet's XML deflates 5 to 20 times; a zip bomb up to a thousand), and a size any part may reach.
XLSX_EXPANSION, XLSX_PART_BYTES = 100, 64 << 20


class _BoundedArchive:
    """An XLSX's zip archive as openpyxl reads it: a worksheet or the shared strings that would expand past
    :data:`XLSX_EXPANSION` times its compressed size (and past :data:`XLSX_PART_BYTES`) is refused before a
    byte of it is read; a worksheet is read through :class:`_NoLongText`."""

    def __init__(self, archive: zipfile.ZipFile, chars: int) -> None:
        self._archive, self._chars = archive, chars

    def __getattr__(self, name: str) -> Any:
        return getattr(self._archive, name)

    def open(self, name: str, *args: Any, **kwargs: Any) -> IO[bytes]:
        sheet = name.startswith("xl/worksheets/")
        if sheet or name.endswith("sharedStrings.xml"):
            info = self._archive.getinfo(name)
            if info.file_size > max(XLSX_EXPANSION * info.compress_size, XLSX_PART_BYTES):
                raise InputFileError("file.xlsx_expands", f"{name} of the workbook expands from "
                                     f"{info.compress_size:,} to {info.file_size:,} bytes, more than "
                                     f"{XLSX_EXPANSION} times: no spreadsheet program writes that (a zip bomb); "
                                     "nothing was recorded: export the sheet again.")
        raw = self._archive.open(name, *args, **kwargs)
        return io.BufferedReader(_NoLongText(raw, self._chars, name), 1 << 20) if sheet else raw


def _excel_reader(limit: int) -> type:
    """openpyxl's workbook reader (read-only), its shared strings read by :func:`_shared_strings` and its
    worksheets opened as :func:`_read_only_sheet` makes them."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    sheet_class = _read_only_sheet()

    class BoundedReader(ExcelReader):  # type: ignore[misc]
        def __init__(self, source: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(source, *args, **kwargs)
            self.archive = _BoundedArchive(getattr(self, "archive"), limit)  # noqa: B009 (openpyxl's, untyped)

        def read_worksheets(self) -> None:  # read-only: the sheets, as openpyxl opens them, less their size's pass
            for sheet, rel in self.parser.find_sheets():
                if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                    ws = sheet_class(self.wb, sheet.name, rel.target, self.shared_strings)
                    ws.sheet_state = sheet.state
                    self.wb._sheets.append(ws)

        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as src:
                    self.shared_strings = _shared_strings(src, limit)

    return BoundedReader


@functools.cache
def _read_only_sheet() -> type:
    """openpyxl's read-only worksheet, read as its cells are written, whatever its ``<dimension>`` says. openpyxl
    takes that for the sheet's size: it drops the rows below it and the values right of it unseen (a writer
    that gets it wrong loses them), pads every row to its width (``A1:XFD1048576``: 16,384 cells a row) and adds
    empty rows down to it; and with none it looks for one until the cells' end (a whole pass over the sheet,
    about a third of reading it). Each row is as long as its last cell here; a value past the header is said
    (``record.ragged``), never dropped."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):  # type: ignore[misc]
        def _get_size(self) -> None:
            self._min_column, self._min_row, self._max_column, self._max_row = 1, 1, None, None

    return Sheet


#: A merged range in a worksheet's XML (``<mergeCell ref="B5:B9"/>``, any namespace prefix).
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')
MERGED_RANGES = 100_000  #: the most merged ranges of a sheet that are read (each a few bytes of XML)


def _merged_ranges(source: IO[bytes]) -> dict[int, list[tuple[int, int, str]]]:
    """The merged ranges of a worksheet that span rows, by their first row: (column index from 0, last row,
    the range as written) — read in one pass over its XML (the ranges are after the cells), a megabyte at a
    time. A range within one row is left out: its value stands in its first cell, as a reader sees it."""
    from openpyxl.utils import column_index_from_string

    starts: dict[int, list[tuple[int, int, str]]] = {}
    tail, count = b"", 0
    while count < MERGED_RANGES:
        block = source.read(1 << 20)
        if not block:
            break
        text = tail + block
        if b"mergeCell" in text:
            end = 0
            for m in _MERGE_CELL.finditer(text):
                end = m.end()
                first, last = int(m.group(2)), int(m.group(4))
                count += 1
                if last > first:
                    ref = (m.group(1) + m.group(2) + b":" + m.group(3) + m.group(4)).decode("ascii")
                    starts.setdefault(first, []).append((column_index_from_string(m.group(1).decode()) - 1, last,
                                                         ref))
            text = text[end:]
        tail = text[-256:]  # a tag cut between two blocks is found in the next
    for ranges in starts.values():
        ranges.sort()  # in the order of their columns
    return starts


class XlsxRows(Iterator[list[str]]):
    """The one XLSX reader: the first sheet's rows as cell texts (:func:`_cell_text`), ``number``
    the spreadsheet row of the last one; a workbook that cannot be opened or breaks off midway is
    :class:`InputFileError` ``file.xlsx_damaged``. ``close()`` when done.

    A cell merged over several rows (an authority or a date written once for a block of rows, as
    spreadsheets made by hand often have it) is read as its value in every row it covers, the cells under
    the first being empty in the file; ``merged`` lists the ranges so read."""

    def __init__(self, source: str | io.BytesIO, name: str, cell_chars: int = limits_.DEFAULT.cell_chars) -> None:
        self.name = name
        self.number = 0
        try:
            reader = _excel_reader(cell_chars)(source, read_only=True, data_only=True)
            reader.read()
            self._book = reader.wb
        except (*_XLSX_ERRORS, Exception) as exc:
            if isinstance(exc, InputFileError):  # a part refused (:class:`_BoundedArchive`, :func:`_shared_strings`)
                raise InputFileError(exc.code, f"{name}: {exc.message}") from None
            raise InputFileError("file.xlsx_damaged", f"{name}: is not a readable XLSX workbook ({type(exc).__name__}"
                                 f": {exc}); it may be truncated: export it again.") from None
        try:
            if not self._book.worksheets:
                raise InputFileError("file.empty", f"{name}: the workbook has no sheet.")
            sheet = self._book.worksheets[0]
            self.sheets = tuple(str(s.title) for s in self._book.worksheets)  # (workbook.xml: no sheet is read)
            self._rows = sheet.iter_rows(values_only=True)
            self._starts = self._merges(sheet)
        except BaseException:
            self._book.close()
            raise
        self._filling: dict[int, tuple[str, int]] = {}  # column → the merged value, the last row it covers
        self.merged: list[str] = []

    def __next__(self) -> list[str]:
        try:
            values = next(self._rows)
        except InputFileError:
            raise
        except _XLSX_ERRORS as exc:
            raise InputFileError("file.xlsx_damaged", f"{self.name}: the workbook is damaged after row "
                                 f"{self.number} ({type(exc).__name__}: {exc}); the rows before it were read: "
                                 "export it again.") from None
        self.number += 1
        cells = [_cell_text(v) for v in values]
        if self._filling or self._starts:
            self._merge(cells)
        return cells

    def _merges(self, sheet: Any) -> dict[int, list[tuple[int, int, str]]]:
        try:
            with sheet._get_source() as source:
                return _merged_ranges(source)
        except InputFileError as exc:  # a part refused (:class:`_BoundedArchive`)
            raise InputFileError(exc.code, f"{self.name}: {exc.message}") from None
        except _XLSX_ERRORS as exc:
            raise InputFileError("file.xlsx_damaged", f"{self.name}: the first sheet cannot be read "
                                 f"({type(exc).__name__}: {exc}); it may be truncated: export it again.") from None

    def _merge(self, cells: list[str]) -> None:
        row = self._filling
        for column, (value, last) in list(row.items()):
            if self.number > last:
                del row[column]
            elif column >= len(cells):  # (a row is as long as its last cell: the covered ones are not written)
                cells.extend([""] * (column - len(cells)))
                cells.append(value)
            elif not cells[column].strip():
                cells[column] = value
        for column, last, ref in self._starts.pop(self.number, ()):
            if column < len(cells) and cells[column].strip():
                row[column] = (cells[column], last)
                if len(self.merged) < tables.SHOWN_MERGED:
                    self.merged.append(ref)

    def close(self) -> None:
        rows = getattr(self, "_rows", None)
        if rows is not None:  # a sheet left midway (a header refused) holds its part open until its reader ends
            rows.close()
        self._book.close()


def xlsx_table(path: str, name: str, chunk_rows: int, limits: limits_.Limits) -> Table:
    from openpyxl.utils import get_column_letter as letter

    rows = XlsxRows(path, name, limits.cell_chars)
    limit = limits.cell_chars
    header: list[str] | None = None
    try:
        for cells in rows:
            cells = [c.strip() for c in cells]
            if sum(1 for c in cells if c) >= 2:
                header = cells
                break
            if rows.number >= tables.TITLE_ROWS:
                break
    except BaseException:
        rows.close()
        raise
    if header is None:
        rows.close()
        raise InputFileError("file.empty", f"{name}: the first sheet has no header row (a row with at least two "
                             f"column names) in its first {tables.TITLE_ROWS} rows.")
    while header and not header[-1]:
        header.pop()
    width = len(header)
    header_row = rows.number

    def chunks() -> Iterator[Chunk]:
        first_row = header_row + 1
        batch: list[list[str]] = []
        long: dict[int, tuple[str, str, str]] = {}
        try:
            for cells in rows:
                if len(cells) != width:
                    if len(cells) > width and not any(c.strip() for c in cells[width:]):
                        del cells[width:]
                    elif len(cells) < width:
                        cells += [""] * (width - len(cells))
                    else:  # values under no header: a sheet's rows have no delimiter to blame
                        past = next(j for j in range(width, len(cells)) if cells[j].strip())
                        long[len(batch)] = ("record.ragged", f"The row has a value in column {letter(past + 1)}, "
                                            f"past the header's last column ({letter(width)}): it belongs to no "
                                            "field; put it under a header or remove it.", cells[past])
                if cells and (max(map(len, cells)) > limit or any(map(tables.is_over, cells))):
                    found: dict[int, tuple[str, str, str]] = {}
                    tables.long_cells([cells], header, limit, found)
                    long[len(batch)] = found[0]
                batch.append(cells)
                if len(batch) >= chunk_rows:
                    yield Chunk.from_rows(first_row, batch, width, long)
                    first_row, batch, long = rows.number + 1, [], {}
        except InputFileError:
            if batch:
                yield Chunk.from_rows(first_row, batch, width, long)
            raise
        if batch:
            yield Chunk.from_rows(first_row, batch, width, long)

    return Table(name, "xlsx", None, header, header_row, chunks(), rows.close, rows.merged, rows.sheets)
