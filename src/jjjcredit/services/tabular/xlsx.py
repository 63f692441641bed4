"""XLSX workbooks: the one reader of their first sheet (:class:`XlsxRows`, behind ``open_table`` and
``read_column``), on openpyxl's read-only reader bounded — any part that would expand past what a spreadsheet
program writes is refused before it is read, as is one that declares a DTD, a shared string over the limit
is counted, never held, a cell written inline in the sheet is refused past what a cell may be, a row is read
no wider than the header — a cell's value as text (a date as ``YYYYMMDD``), a cell merged over rows read in
every row it covers; and the sheet as a table of rows."""

from __future__ import annotations

import datetime
import functools
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any, Literal
from xml.etree import ElementTree

import numpy as np

from jjjcredit.core import limits as limits_
from jjjcredit.services.tabular import files, tables
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.services.tabular.tables import Chunk, Table

#: A character as a workbook's XML escapes it (ECMA-376 ST_Xstring): ``_x000D_`` is a carriage return; ``_x005F_``
#: an underscore, so ``_x005F_x000D_`` is the text ``_x000D_``. Surrogates are no character and NUL no text holds
#: (it marks a cell over its limit, :data:`tables.OVER`): both stay as written.
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped_char(found: re.Match[str]) -> str:
    code = int(found.group(1), 16)
    return found.group(0) if code == 0 or 0xD800 <= code <= 0xDFFF else chr(code)


def unescaped(text: str) -> str:
    """A cell's text with the characters Excel writes escaped (a line break as ``_x000D_``, a tab as ``_x0009_``)
    as they are, read left to right once, as Excel reads them.

    >>> unescaped("河北胜智商贸有限公司_x000D_"), unescaped("a_x005F_x000D_b"), unescaped("_xD83D__x4E2D__x0000_")
    ('河北胜智商贸有限公司\\r', 'a_x000D_b', '_xD83D_中_x0000_')
    """
    return _ESCAPED.sub(_unescaped_char, text) if "_x" in text else text


def _cell_text(value: object) -> str:
    """A cell's value as text (escaped characters as they are: :func:`unescaped`); a date as the platform writes
    dates, ``YYYYMMDD`` (a time of day, when the cell has one, after it).

    >>> _cell_text(datetime.datetime(2019, 3, 5)), _cell_text(datetime.date(2019, 3, 5))
    ('20190305', '20190305')
    >>> _cell_text(datetime.datetime(2019, 3, 5, 8, 30)), _cell_text(500.0), _cell_text(True)
    ('20190305 08:30:00', '500', 'true')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return unescaped(value)
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
    """An XLSX's shared strings table (the text of each ``<si>`` as written, escapes and all, its phonetic runs
    left out), parsed a piece at a time: a string over ``limit`` characters is counted,
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
            strings.append(tables.over(size) if size > limit else "".join(parts))  # (unescaped as a cell's text)
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


class _Prolog:
    """A workbook part's XML from its first byte to its root element, read by expat as it is fed: a document
    type declaration (a DTD, the only place entities are declared) is refused (:class:`InputFileError`
    ``file.format``) before the part is parsed — no spreadsheet program writes one — and XML that does not
    start as XML is ``file.xlsx_damaged``. Past the root's start tag nothing more is looked at."""

    _PIECE = 4096

    def __init__(self, name: str) -> None:
        from xml.parsers import expat

        self.name, self.done = name, False
        self._error = expat.ExpatError
        self._parser = expat.ParserCreate()
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.StartElementHandler = self._root

    def _doctype(self, *_args: object) -> None:
        raise InputFileError("file.format", f"{self.name} of the workbook declares a document type (a DTD, with "
                             "its entities): a workbook's parts have none, and none is read; nothing was recorded: "
                             "export the workbook again from the spreadsheet program.")

    def _root(self, *_args: object) -> None:
        self.done = True

    def feed(self, data: bytes) -> None:
        for at in range(0, len(data), self._PIECE):
            if self.done:
                return
            try:
                self._parser.Parse(data[at:at + self._PIECE], False)
            except self._error as exc:
                self.done = True
                raise InputFileError("file.xlsx_damaged", f"{self.name} of the workbook is not XML ({exc}); it may "
                                     "be damaged: export the workbook again.") from None


class _WatchedPart(io.RawIOBase):
    """A workbook part as openpyxl streams it (a worksheet, the shared strings), its start read by
    :class:`_Prolog` (no DTD) and, when ``chars`` is given (a worksheet), refused (:class:`InputFileError`
    ``file.xlsx_cell``) at the first stretch between tags longer than a cell may be (4 bytes a character),
    before it is held: a cell written inline in the sheet is otherwise read whole, however large it expands to."""

    def __init__(self, raw: IO[bytes], chars: int | None, name: str) -> None:
        super().__init__()
        self._raw, self._name = raw, name
        self._prolog = _Prolog(name)
        self._limit = None if chars is None else 4 * max(chars, EXCEL_CELL_CHARS) + 1024
        self._run = 0  # bytes since the last "<"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            if not self._prolog.done:
                self._prolog.feed(data)
            if self._limit is not None:
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
        if self._limit is not None and size > self._limit:
            raise InputFileError("file.xlsx_cell", f"{self._name}: the sheet holds a cell of more than "
                                 f"{self._limit:,} bytes (a cell holds at most {EXCEL_CELL_CHARS:,} characters in "
                                 "Excel); nothing was recorded: export the sheet again from the spreadsheet program.")

    def close(self) -> None:
        self._raw.close()
        super().close()


#: How many times a part of a workbook may expand past what it takes in the archive (a spreadsheet's XML
#: deflates 5 to 20 times; a zip bomb up to a thousand), and the size a part may reach whatever it deflates
#: by: one read a piece at a time (a worksheet, the shared strings), or one openpyxl reads whole and holds as a
#: tree of elements (the content types, the workbook, its relationships, styles, theme and properties — a
#: styles part of 32 MB of empty elements takes a gigabyte as a tree; Excel's own are a few hundred KB).
XLSX_EXPANSION, XLSX_PART_BYTES, XLSX_WHOLE_PART_BYTES = 100, 64 << 20, 4 << 20


class _BoundedArchive:
    """An XLSX's zip archive as openpyxl reads it, every part by its name in the archive, whatever it holds:
    a part that would expand past :data:`XLSX_EXPANSION` times its compressed size (and past
    :data:`XLSX_PART_BYTES`, or :data:`XLSX_WHOLE_PART_BYTES` for one read whole) is refused before a byte of
    it is read; no part may declare a DTD (:class:`_Prolog`); a part streamed is read through
    :class:`_WatchedPart`, its cells watched unless it is the shared strings (``cells=False``: measured as they
    are parsed, :func:`_shared_strings`). Only the archive's listing passes through unwatched."""

    _PASSED = frozenset({"namelist", "infolist", "filename", "close"})

    def __init__(self, archive: zipfile.ZipFile, chars: int) -> None:
        self._archive, self._chars = archive, chars

    def __getattr__(self, name: str) -> Any:
        if name not in self._PASSED:
            raise AttributeError(f"{name}: the workbook's archive is read through open() and read() only")
        return getattr(self._archive, name)

    def _bounded(self, name: str, most: int) -> zipfile.ZipInfo:
        info = self._archive.getinfo(name)
        if info.file_size > max(XLSX_EXPANSION * info.compress_size, most):
            raise InputFileError("file.xlsx_expands", f"{name} of the workbook expands from "
                                 f"{info.compress_size:,} to {info.file_size:,} bytes, more than "
                                 f"{XLSX_EXPANSION} times: no spreadsheet program writes that (a zip bomb); "
                                 "nothing was recorded: export the workbook again.")
        return info

    def read(self, name: str) -> bytes:
        data = self._archive.read(self._bounded(name, XLSX_WHOLE_PART_BYTES))
        _Prolog(name).feed(data)
        return data

    def open(self, name: str, mode: Literal["r"] = "r", *, cells: bool = True) -> IO[bytes]:
        raw = self._archive.open(self._bounded(name, XLSX_PART_BYTES), mode)
        return io.BufferedReader(_WatchedPart(raw, self._chars if cells else None, name), 1 << 20)


def _excel_reader(limit: int) -> type:
    """openpyxl's workbook reader (read-only), its archive a :class:`_BoundedArchive`, its shared strings read by
    :func:`_shared_strings` and its first worksheet opened as :func:`_read_only_sheet` makes it: of the others
    only the first :data:`tables.SHOWN_SHEETS` names are kept (``sheet_names``, the first sheet's first) and
    how many there are (``sheet_count``)."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    sheet_class = _read_only_sheet()

    class BoundedReader(ExcelReader):  # type: ignore[misc]
        def __init__(self, source: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(source, *args, **kwargs)
            self.archive = _BoundedArchive(getattr(self, "archive"), limit)  # noqa: B009 (openpyxl's, untyped)

        def read_worksheets(self) -> None:  # read-only: the first sheet, as openpyxl opens it, less its size's pass
            valid, names, count = set(self.valid_files), list[str](), 0
            for sheet, rel in self.parser.find_sheets():
                if rel.target in valid and "chartsheet" not in rel.Type:
                    if not count:
                        ws = sheet_class(self.wb, sheet.name, rel.target, self.shared_strings)
                        ws.sheet_state = sheet.state
                        self.wb._sheets.append(ws)
                    if len(names) <= tables.SHOWN_SHEETS:
                        names.append(str(sheet.name))
                    count += 1
            self.sheet_names, self.sheet_count = tuple(names), count

        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:], cells=False) as src:
                    self.shared_strings = _shared_strings(src, limit)

    return BoundedReader


@functools.cache
def _read_only_sheet() -> type:
    """openpyxl's read-only worksheet, read as its cells are written, whatever its ``<dimension>`` says. openpyxl
    takes that for the sheet's size: it drops the rows below it and the values right of it unseen (a writer
    that gets it wrong loses them), pads every row to its width (``A1:XFD1048576``: 16,384 cells a row) and adds
    empty rows down to it; and with none it looks for one until the cells' end (a whole pass over the sheet,
    about a third of reading it). Each row is as long as its last cell here, and no longer than ``width`` once
    it is set (the header's): the first value past it (``past``: its column from 1 and value) is said
    (``record.ragged``), never dropped, and never padded to (a cell in column XFD would make 16,384)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):  # type: ignore[misc]
        width: int | None = None
        past: tuple[int, object] | None = None

        def _get_size(self) -> None:
            self._min_column, self._min_row, self._max_column, self._max_row = 1, 1, None, None

        def _get_row(self, row: list[dict[str, Any]], *_args: object, **_kwargs: object) -> list[object]:
            self.past = None
            last = max((cell["column"] for cell in row), default=0)
            size = last if self.width is None else min(last, self.width)
            values: list[object] = [None] * size
            for cell in row:
                column = cell["column"]
                if column <= size:
                    values[column - 1] = cell["value"]
                elif _cell_text(cell["value"]).strip() and (self.past is None or column < self.past[0]):
                    self.past = (column, cell["value"])
            return values

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


#: The columns a header may name (Excel 2003's sheets had this many; a catalogue item has a few dozen fields).
HEADER_COLUMNS = 256


class XlsxRows(Iterator[list[str]]):
    """The one XLSX reader: the first sheet's rows as cell texts (:func:`_cell_text`), ``number``
    the spreadsheet row of the last one; a workbook that cannot be opened or breaks off midway is
    :class:`InputFileError` ``file.xlsx_damaged``. ``close()`` when done.

    A cell merged over several rows (an authority or a date written once for a block of rows, as
    spreadsheets made by hand often have it) is read as its value in every row it covers, the cells under
    the first being empty in the file; ``merged`` lists the ranges so read.

    ``sheets`` names the workbook's first sheets (the one read first, then up to :data:`tables.SHOWN_SHEETS`
    others), ``sheet_count`` says how many it has. Once :meth:`limit_width` is given the header's width, a row
    is read no wider, and ``past`` is the first value of the last row beyond it (its column from 1, its text)."""

    def __init__(self, source: str | io.BytesIO, name: str, cell_chars: int = limits_.DEFAULT.cell_chars) -> None:
        self.name = name
        self.number = 0
        self.past: tuple[int, str] | None = None
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
            sheet = self._sheet = self._book.worksheets[0]
            self.sheets: tuple[str, ...] = reader.sheet_names  # (workbook.xml: no sheet is read)
            self.sheet_count: int = reader.sheet_count
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
        past = self._sheet.past
        self.past = None if past is None else (past[0], _cell_text(past[1]))
        cells = [_cell_text(v) for v in values]
        if self._filling or self._starts:
            self._merge(cells)
        return cells

    def limit_width(self, width: int) -> None:
        """Read the next rows no wider than ``width`` cells (the header's, to its last name); a value beyond is
        ``past``. A header named past :data:`HEADER_COLUMNS` is :class:`InputFileError` ``file.xlsx_columns``:
        every row would be read as wide (a name in column XFD makes 16,384 cells a row)."""
        if width > HEADER_COLUMNS:
            from openpyxl.utils import get_column_letter as letter

            raise InputFileError("file.xlsx_columns", f"{self.name}: the header (row {self.number}) names a "
                                 f"column as far right as {letter(width)}, past column {letter(HEADER_COLUMNS)} (the "
                                 f"most read, {HEADER_COLUMNS}); nothing was recorded: remove the cells right of the "
                                 "records' columns, or move the records to a sheet of their own.")
        self._sheet.width = width

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
        row, width = self._filling, self._sheet.width
        for column, (value, last) in list(row.items()):
            if self.number > last:
                del row[column]
            elif width is not None and column >= width:  # (a range begun above the header, right of it)
                if self.past is None or column + 1 < self.past[0]:
                    self.past = (column + 1, value)
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


def xlsx_table(path: str, name: str, chunk_rows: int, limits: limits_.Limits,
               names: tables.HeaderNames | None = None) -> Table:
    """The first sheet as a table: its header the first row with two cells or more filled, or the row
    :func:`tables.header_at` finds by ``names`` below one naming no field."""
    from openpyxl.utils import get_column_letter as letter

    rows = XlsxRows(path, name, limits.cell_chars)
    limit = limits.cell_chars
    header: list[str] | None = None
    peeked: list[list[str]] = []  # rows read past a header naming no field, looking for one: its rows after all
    try:
        for cells in rows:
            cells = [c.strip() for c in cells]
            if sum(1 for c in cells if c) >= 2:
                header = cells
                break
            if rows.number >= tables.TITLE_ROWS:
                break
        if header is None:
            raise InputFileError("file.empty", f"{name}: the first sheet has no header row (a row with at least two "
                                 f"column names) in its first {tables.TITLE_ROWS} rows.")
        header_row = rows.number
        if names is not None and not names(header):
            while rows.number < tables.TITLE_ROWS and (row := next(rows, None)) is not None:
                if names([c.strip() for c in row]) >= 2:  # the column names, below a 填报单位 line
                    header, header_row, peeked = [c.strip() for c in row], rows.number, []
                    break
                peeked.append(row)
        while header and not header[-1]:
            header.pop()
        width = len(header)
        rows.limit_width(width)
    except BaseException:
        rows.close()
        raise

    def read() -> Iterator[tuple[list[str], tuple[int, str] | None]]:
        """Each row after the header, no wider than it, and its first value beyond it (column from 1, text)."""
        for cells in peeked:  # (read before the header's width was known)
            beyond = next(((j + 1, c) for j, c in enumerate(cells[width:], start=width) if c.strip()), None)
            yield cells[:width], beyond
        for cells in rows:
            yield cells, rows.past

    def chunks() -> Iterator[Chunk]:
        first_row = header_row + 1
        batch: list[list[str]] = []
        long: dict[int, tuple[str, str, str]] = {}
        try:
            for cells, past in read():
                if len(cells) < width:  # (no row is wider: :meth:`XlsxRows.limit_width`)
                    cells += [""] * (width - len(cells))
                if past is not None:  # values under no header: a sheet's rows have no delimiter to blame
                    column, value = past
                    long[len(batch)] = ("record.ragged", f"The row has a value in column {letter(column)}, "
                                        f"past the header's last column ({letter(width)}): it belongs to no "
                                        "field; put it under a header or remove it.", value)
                if cells and (max(map(len, cells)) > limit or any(map(tables.is_over, cells))):
                    found: dict[int, tuple[str, str, str]] = {}
                    tables.long_cells([cells], header, limit, found)
                    long[len(batch)] = found[0]
                batch.append(cells)
                if len(batch) >= chunk_rows:
                    yield Chunk.from_rows(first_row, batch, width, long)
                    first_row, batch, long = first_row + len(batch), [], {}
        except InputFileError:
            if batch:
                yield Chunk.from_rows(first_row, batch, width, long)
            raise
        if batch:
            yield Chunk.from_rows(first_row, batch, width, long)

    return Table(name, "xlsx", None, header, header_row, chunks(), rows.close, rows.merged, rows.sheets,
                 rows.sheet_count)
