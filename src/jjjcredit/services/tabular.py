"""Reading what people send: text, CSV and XLSX files, in UTF-8 (with or without BOM) or GB18030;
and writing the CSV people open in Excel (:func:`csv_text`: UTF-8 with a BOM, or GB18030).

Everything streams, within the limits of core/limits.py: a line longer than ``line_bytes`` (CSV, text,
JSON Lines) is skipped as it is read, a piece at a time, and stands as one rejected row
(``record.too_long``); a cell longer than ``cell_chars`` (any format; an XLSX shared string is measured
while it is parsed, before it is held) rejects its row naming the column. The rows after it are read
and counted as usual. Problems with the file itself — empty, binary, an encoding that changes
half-way, a truncated XLSX, a missing column — raise :class:`InputFileError` with a one-line
message that names the file and the place, and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import functools
import io
import itertools
import json
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import numpy as np

from jjjcredit.core import limits as limits_
from jjjcredit.core.errors import Error
from jjjcredit.core.library import records

_SAMPLE = 1 << 16
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f", "\v"}
_XLSX_MAGIC = b"PK\x03\x04"
csv.field_size_limit(1 << 30)


class InputFileError(Error):
    """The input file cannot be read as asked. ``code`` is stable (see docs/errors.md)."""


# --- writing CSV for people ------------------------------------------------------------------------

#: The encodings every CSV the platform writes can be in. Excel reads a CSV file as UTF-8 only when
#: it starts with a byte order mark ("utf-8-sig"), else in the system's code page, GB18030 on a
#: Chinese Windows; GB18030 covers all of Unicode, so no character is lost either way.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
DEFAULT_CSV_ENCODING = "utf-8-sig"


class CsvEncodingError(Error, ValueError):
    """An encoding for CSV output other than :data:`CSV_ENCODINGS` (``usage.csv_encoding``)."""


def csv_encoding(encoding: str) -> str:
    """``encoding`` when CSV can be written in it, else :class:`CsvEncodingError`.

    >>> csv_encoding("gb18030")
    'gb18030'
    >>> try:
    ...     csv_encoding("latin-1")
    ... except CsvEncodingError as exc:
    ...     print(exc.code, exc.message[:57])
    usage.csv_encoding --csv-encoding "latin-1" is not known: expected utf-8-sig
    """
    if encoding not in CSV_ENCODINGS:
        raise CsvEncodingError("usage.csv_encoding", f'--csv-encoding "{encoding}" is not known: expected '
                               "utf-8-sig (UTF-8 with a byte order mark, the default) or gb18030.",
                               field="csv_encoding")
    return encoding


def csv_text(stream: IO[bytes], encoding: str = DEFAULT_CSV_ENCODING) -> io.TextIOWrapper:
    """A text stream over ``stream`` (a file opened "wb", or standard output's buffer) that writes CSV
    in ``encoding`` (one of :data:`CSV_ENCODINGS`; the BOM comes with the first write). Every command
    that writes CSV writes it through this. Flush it when done; :func:`release` leaves ``stream`` open.

    >>> out = io.BytesIO(); text = csv_text(out)
    >>> _ = csv.writer(text).writerow(["统一社会信用代码", "𠀀"]); text.flush()
    >>> out.getvalue()[:3] == codecs.BOM_UTF8, out.getvalue()[3:].decode() == "统一社会信用代码,𠀀\\r\\n"
    (True, True)
    """
    return io.TextIOWrapper(stream, encoding=csv_encoding(encoding), errors="strict", newline="",
                            write_through=False)


def release(text: io.TextIOWrapper) -> None:
    """Flush a :func:`csv_text` stream and hand its byte stream back, open."""
    text.flush()
    text.detach()


@dataclass(frozen=True)
class Cell:
    """One value and where the user sees it: ``row`` is the spreadsheet row (header = 1)."""

    row: int
    value: str


def _open_binary(path: str | None) -> tuple[io.BufferedReader, str]:
    """A buffered stream whose ``peek`` shows the first 64 KiB without consuming them."""
    if path is None or path == "-":
        raw = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
        return io.BufferedReader(raw, buffer_size=_SAMPLE), "standard input"  # type: ignore[arg-type]
    p = Path(path)
    if not p.exists():
        raise InputFileError("file.not_found", f"{path}: no such file.")
    if p.is_dir():
        raise InputFileError("file.is_directory", f"{path}: is a folder, expected a file.")
    return io.BufferedReader(io.FileIO(p, "rb"), buffer_size=_SAMPLE), str(path)


def _head(stream: io.BufferedReader) -> bytes:
    return stream.peek(_SAMPLE)[:_SAMPLE]


def detect_encoding(sample: bytes, name: str) -> str:
    """The encoding of a text sample: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030.

    >>> detect_encoding("统一社会信用代码".encode("gb18030"), "x")
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + b"abc", "x")
    'utf-8-sig'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    nul = sample.find(b"\x00")
    if nul >= 0:
        raise InputFileError(
            "file.binary", f"{name}: does not look like a text file (it contains NUL bytes at "
            f"byte {nul + 1}); expected one code per line, or CSV/XLSX.")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch in _CONTROL)
        if controls > max(2, len(text) // 100):
            raise InputFileError(
                "file.binary", f"{name}: does not look like a text file ({controls} control "
                "characters in the first 64 KiB); expected one code per line, or CSV/XLSX.")
        return encoding
    raise InputFileError(
        "file.encoding", f"{name}: is neither UTF-8 nor GB18030 text; re-save it as UTF-8.")


_CHUNK = 1 << 20
#: U+FEFF in GB18030, which some editors write at the start of a GB18030 file.
_GB18030_BOM = "\ufeff".encode("gb18030")


def _line_batches(stream: io.BufferedReader, name: str) -> Iterator[list[str]]:
    """The decoded lines of a text stream, a megabyte at a time, line endings removed.

    Decoding is incremental, so a byte sequence that is not valid in the detected encoding is
    reported with its exact line number.
    """
    head = _head(stream)
    if not head:
        raise InputFileError("file.empty", f"{name}: the file is empty; expected one code per line.")
    if head.startswith(_XLSX_MAGIC):
        raise InputFileError(
            "file.xlsx_needs_column", f"{name}: is an XLSX workbook; name the column that holds the codes.")
    encoding = detect_encoding(head, name)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines_before = 0
    pending = ""
    while True:
        chunk = stream.read(_CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            done = decoder.decode(chunk[: exc.start], final=False) if exc.start else ""
            line = lines_before + (pending + done).count("\n") + 1
            raise InputFileError(
                "file.encoding", f"{name}: line {line} is not valid {encoding} although the lines "
                f"before it were ({exc.reason}); re-save the whole file in one encoding.") from None
        if not chunk:
            if pending:
                yield [pending]
            return
        text = pending + text
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        pending = lines.pop()
        lines_before += len(lines)
        yield lines


def _text_lines(stream: io.BufferedReader, name: str) -> Iterator[tuple[int, str]]:
    number = 0
    for batch in _line_batches(stream, name):
        for line in batch:
            number += 1
            yield number, line


def read_line_batches(path: str | None) -> Iterator[list[str]]:
    """The lines of a text file (or standard input) in batches, for bulk work that needs no
    row numbers."""
    stream, name = _open_binary(path)
    try:
        yield from _line_batches(stream, name)
    finally:
        stream.close()


def read_lines(path: str | None) -> Iterator[Cell]:
    """Every line of a text file (or standard input), numbered from 1, line endings removed."""
    stream, name = _open_binary(path)
    try:
        for number, line in _text_lines(stream, name):
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
    stream, name = _open_binary(path)
    try:
        if _head(stream).startswith(_XLSX_MAGIC):
            yield from _xlsx_column(stream.read(), column, name)
            return
        yield from _csv_column(_text_lines(stream, name), column, name)
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
    """One column of the first sheet, read by :class:`_XlsxRows` like every XLSX file (the header is
    row 1)."""
    rows = _XlsxRows(io.BytesIO(data), name)
    try:
        header = next(rows, None)
        if header is None:
            raise InputFileError("file.empty", f"{name}: the first sheet is empty.")
        index = _pick_column(header, column, name)
        for cells in rows:
            if any(cells):
                yield Cell(rows.number, cells[index] if index < len(cells) else "")
    finally:
        rows.close()


# --- whole rows: the readers behind ``jjjcredit records check`` ----------------------------------
#
# A :class:`Table` is a file's header and its rows in chunks, whatever the format: CSV (delimiter
# and encoding detected; a row in another encoding than the rest is flagged, not decoded wrongly),
# XLSX (first sheet), JSON Lines (one object per line) and XML (one element per record under the
# root, one child element — or ``<field name="…">`` — per value). Rows are numbered as the user
# sees them: the spreadsheet row for CSV and XLSX (header = row 1 when it is the first row), the
# line for JSON Lines, the record's position for XML.

ROWS_PER_CHUNK = 32_768
_BLOCK = 1 << 20
_SURROGATE = re.compile("[\udc80-\udcff]")
#: What no text of the platform can hold (a JSON escape can write either): a NUL or a lone surrogate.
_UNHELD = re.compile("[\x00\ud800-\udfff]")
_DELIMITERS = (",", "\t", ";", "|")
_TITLE_ROWS = 20  #: rows scanned for the header (a title line above it is skipped and reported)
SHOWN_MERGED = 50  #: the merged ranges a table lists (:attr:`Table.merged`)
_XML_FIELD = frozenset({"field", "字段"})
#: Blocks without these characters need no cell stripped (a search per character is much faster than
#: stripping every cell, or a regular expression over the block).
_SPACES = (" ", "\t", "\u3000", "\xa0")


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
    #: XLSX: the workbook's worksheets by name, the first the one read
    sheets: tuple[str, ...] = ()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()


def _format_of(path: str, head: bytes, name: str) -> str:
    suffix = Path(path).suffix.lower()
    if head.startswith(_XLSX_MAGIC):
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


#: The fields a reader of records of named values (JSON Lines, XML) may meet after its first chunk, given
#: the header read from the first chunk's records: columns it has from the start, empty until then.
MoreFields = Callable[[Sequence[str]], Sequence[str]]


def open_table(path: str, chunk_rows: int = ROWS_PER_CHUNK, limits: limits_.Limits = limits_.DEFAULT,
               more_fields: MoreFields | None = None) -> Table:
    """Open a CSV, XLSX, JSON Lines or XML file for its rows; raise :class:`InputFileError` when the
    file itself cannot be read (missing, empty, binary, damaged, no header). Lines and cells over
    ``limits`` are rejected rows (``record.too_long``), never held whole. JSON Lines and XML take their
    header from the fields of the first chunk's records, and ``more_fields`` of it (a field first met
    later is otherwise a record out of shape)."""
    stream, name = _open_binary(path)
    try:
        head = _head(stream)
        if not head:
            raise InputFileError("file.empty", f"{name}: the file is empty; expected a header row and rows.")
        kind = _format_of(path, head, name)
        if kind == "xlsx":
            stream.close()
            return _xlsx_table(path, name, chunk_rows, limits)
        if kind == "jsonl":
            return _jsonl_table(stream, name, chunk_rows, limits, more_fields)
        if kind == "xml":
            return _xml_table(stream, name, chunk_rows, limits, more_fields)
        return _csv_table(stream, name, chunk_rows, limits)
    except BaseException:
        stream.close()
        raise


# --- CSV ---------------------------------------------------------------------------------------

def _csv_encoding(sample: bytes, name: str) -> str:
    """UTF-8 or GB18030 by the majority of non-ASCII lines in the sample (a file mixing both is
    read in the majority's encoding; the other rows are flagged)."""
    try:
        encoding = detect_encoding(sample, name)
    except InputFileError as exc:
        if exc.code != "file.encoding":
            raise
        encoding = "gb18030"
    if encoding != "gb18030":
        return encoding
    lines = sample.split(b"\n")
    if len(lines) > 1 and len(sample) >= _SAMPLE:
        lines.pop()  # cut short by the sample
    utf8 = gb = 0
    for line in lines:
        if line.isascii():
            continue
        for counted, candidate in ((0, "utf-8"), (1, "gb18030")):
            try:
                line.decode(candidate)
            except UnicodeDecodeError:
                continue
            if counted:
                gb += 1
            else:
                utf8 += 1
            break
    if not utf8 and not gb:
        raise InputFileError("file.encoding", f"{name}: is neither UTF-8 nor GB18030 text; re-save it as UTF-8.")
    return "utf-8" if utf8 >= gb else "gb18030"


#: What stands for a line or cell over its limit: a NUL (no text file holds one; binary files are
#: refused) and the size that was skipped.
_OVER = "\x00"


def _over(size: int) -> str:
    return f"{_OVER}{size}"


def _is_over(text: str) -> bool:
    return text[:1] == _OVER and text[1:].isdigit()


def _too_long_line(text: str, limit: int, what: str = "line") -> tuple[str, str, str]:
    return ("record.too_long", f"The {what} holds {int(text[1:]):,} bytes, more than the limit of {limit:,} "
            "(setting JJJCREDIT_LIMIT_LINE_BYTES); it was skipped unread: split or shorten it.", "")


def _too_long_cell(column: str, size: int | str, limit: int) -> tuple[str, str, str]:
    return ("record.too_long", f'The cell in column "{column[:80]}" holds {size} characters, more than the limit '
            f"of {limit:,} (setting JJJCREDIT_LIMIT_CELL_CHARS); shorten it.", "")


def _long_cells(rows: Sequence[Sequence[str]], header: Sequence[str], limit: int,
                issues: dict[int, tuple[str, str, str]]) -> None:
    """Rows with a cell over ``limit`` characters (or a cell that stands for one) into ``issues``."""
    for i, row in enumerate(rows):
        if i in issues:
            continue
        for j, cell in enumerate(row):
            if len(cell) > limit or _is_over(cell):
                column = header[j] if j < len(header) else f"{j + 1}"
                issues[i] = _too_long_cell(column, f"{int(cell[1:]) if _is_over(cell) else len(cell):,}", limit)
                break


class _Decoder:
    """Decodes a byte stream block by block (each block ends at a line end, outside quotes); lines in
    another encoding than the file's come out as ASCII with surrogate escapes, so that their row can
    be flagged — and shown correctly — instead of being decoded into nonsense. A line over
    ``line_bytes`` is never held: it is read a piece at a time, dropped, and a marker line
    (:func:`_over`) takes its place, counted in ``long_lines``."""

    def __init__(self, stream: io.BufferedReader, encoding: str, line_bytes: int = limits_.DEFAULT.line_bytes) -> None:
        self.stream = stream
        self.line_bytes = line_bytes
        self.long_lines = 0  #: lines over the limit so far
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.bom = encoding == "utf-8-sig"
        self.flagged = 0  #: lines flagged so far
        self.nul_blocks = 0  #: blocks holding a NUL byte so far (past the first, judged as text, one can be)
        self.unbalanced = False  #: the last block ended inside quotes (a quote never closed)

    def _line(self, raw: bytes) -> str:
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError:
            self.flagged += 1
            return raw.decode("ascii", "surrogateescape")
        if self.encoding == "gb18030" and not raw.isascii() and "\ufffd" not in raw.decode("utf-8", "replace"):
            self.flagged += 1  # valid UTF-8 inside a GB18030 file: it would decode to nonsense
            return raw.decode("ascii", "surrogateescape")
        return text

    def _skip_line(self, size: int) -> bytes:
        """Read past the rest of a line already ``size`` bytes long, a piece at a time; its marker."""
        while True:
            piece = self.stream.readline(_BLOCK)
            size += len(piece)
            if not piece or piece.endswith(b"\n"):
                size -= piece.endswith(b"\n")  # the line end is not the line's
                break
        self.long_lines += 1
        return _over(size).encode("ascii") + b"\n"

    def _finish_line(self, block: bytes) -> bytes:
        """``block`` with the rest of its last line, or that line's marker when it is over the limit."""
        start = block.rfind(b"\n") + 1
        room = self.line_bytes - (len(block) - start)
        rest = self.stream.readline(room + 1) if room >= 0 else b""
        if room >= 0 and (len(rest) <= room or rest.endswith(b"\n")):
            return block + rest
        return block[:start] + self._skip_line(len(block) - start + len(rest))

    def _short_lines(self, block: bytes) -> bytes:
        """``block`` with each complete line over the limit replaced by its marker (none can be when the
        limit is at least a block: the last line was measured as it was finished)."""
        if len(block) <= self.line_bytes or self.line_bytes >= _BLOCK:
            return block
        lines = block.split(b"\n")
        if max(map(len, lines)) <= self.line_bytes:
            return block
        for i, line in enumerate(lines):
            if len(line) > self.line_bytes:
                self.long_lines += 1
                lines[i] = _over(len(line)).encode("ascii")
        return b"\n".join(lines)

    def blocks(self, quoted: bool = True) -> Iterator[str]:
        first = True
        while True:
            block = self.stream.read(_BLOCK)
            if not block:
                return
            if not block.endswith(b"\n"):
                block = self._finish_line(block)
            block = self._short_lines(block)
            # A quoted cell may hold line ends: keep reading until the quotes balance (up to a limit,
            # so that a quote never closed cannot pull the whole file into memory).
            while quoted and b'"' in block and block.count(b'"') % 2 and len(block) < _BLOCK * 16:
                more = self._finish_line(b"")
                if not more:
                    break
                block += more
            self.unbalanced = quoted and b'"' in block and block.count(b'"') % 2 == 1
            if first and self.bom and block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8):]
            if first and self.encoding == "gb18030" and block.startswith(_GB18030_BOM):
                block = block[len(_GB18030_BOM):]
            first = False
            self.nul_blocks += b"\x00" in block
            try:
                text = block.decode(self.encoding)
                if self.encoding == "gb18030" and self._has_utf8_lines(block):
                    text = "".join(map(self._line, block.splitlines(keepends=True)))
            except UnicodeDecodeError:
                text = "".join(map(self._line, block.splitlines(keepends=True)))
            yield text

    @staticmethod
    def _has_utf8_lines(block: bytes) -> bool:
        """Whether a GB18030 block holds a line of non-ASCII UTF-8 (which GB18030 would decode into
        nonsense without an error): one UTF-8 decoding of the block, then a look at each line."""
        if block.isascii():
            return False
        probe = block.decode("utf-8", "replace")
        return any("\ufffd" not in line and not line.isascii() for line in probe.split("\n"))

    def lines(self) -> Iterator[str]:
        for text in self.blocks(quoted=False):
            yield from io.StringIO(text, newline="")


class _Utf16AsUtf8(io.RawIOBase):
    r"""A UTF-16 stream (with its BOM) read as UTF-8 bytes, decoded a block at a time; a byte sequence
    that is not UTF-16 raises :class:`UnicodeDecodeError` where it is met.

    >>> raw = io.BufferedReader(io.BytesIO("代码,名称\n1,甲\n".encode("utf-16")))
    >>> io.BufferedReader(_Utf16AsUtf8(raw)).read().decode("utf-8")
    '代码,名称\n1,甲\n'
    """

    def __init__(self, stream: io.BufferedReader) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-16")("strict")
        self._pending = b""
        self._at = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at == len(self._pending) and not self._done:
            chunk = self._stream.read(_BLOCK)
            self._done = not chunk
            self._pending, self._at = self._decoder.decode(chunk, final=self._done).encode("utf-8"), 0
        size = min(len(buffer), len(self._pending) - self._at)
        buffer[:size] = self._pending[self._at:self._at + size]
        self._at += size
        return size

    def close(self) -> None:
        self._stream.close()
        super().close()


def _other_encoding(text: str, encoding: str) -> str:
    raw = text.encode("ascii", "surrogateescape")
    for other in ("utf-8", "gb18030"):
        if other != encoding:
            try:
                return raw.decode(other)
            except UnicodeDecodeError:
                pass
    return raw.decode(encoding, "replace")


def _split_rows(text: str, delimiter: str) -> tuple[list[list[str]], bool]:
    """The rows of a block of CSV text, and whether some cell runs over several lines."""
    if '"' not in text:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        return [line.split(delimiter) if line else [] for line in lines], False
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows, len(rows) != text.count("\n")


def _split_columns(text: str, delimiter: str, width: int) -> tuple[list[list[str]], int, int] | None:
    """The columns of a block of CSV text when it is plain — no quotes, every line ``width`` cells —
    which most exports are: one split of the whole block, then every ``width``-th cell. ``None``
    when the block needs the row by row path."""
    if '"' in text:
        return None
    end = "\r\n" if "\r\n" in text else "\n"
    if end == "\n" and "\r" in text:
        return None  # lone carriage returns: the row by row path knows them
    if text.endswith(end):
        text = text[:-len(end)]
    lines = text.split(end)
    if set(map(str.count, lines, itertools.repeat(delimiter))) != {width - 1}:
        return None  # a line with more or fewer cells (or a blank line, or a lone \n in a CRLF file)
    flat = text.replace(end, delimiter).split(delimiter) if len(lines) > 1 else lines[0].split(delimiter)
    return [flat[j::width] for j in range(width)], len(lines), max(map(len, lines))


def _csv_table(stream: io.BufferedReader, name: str, chunk_rows: int, limits: limits_.Limits) -> Table:
    encoding = _csv_encoding(_head(stream), name)
    shown_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding == "utf-16":  # read as UTF-8, so that its lines are measured and cut like the others'
        stream = io.BufferedReader(_Utf16AsUtf8(stream), buffer_size=_SAMPLE)
        encoding = "utf-8"
    decoder = _Decoder(stream, encoding, limits.line_bytes)
    blocks = decoder.blocks()
    rows_seen = [0]

    def next_block() -> str | None:
        try:
            return next(blocks, None)
        except UnicodeDecodeError as exc:  # utf-16 only: the other encodings never raise here
            raise InputFileError("file.encoding", f"{name}: after row {rows_seen[0]:,} the file is not valid "
                                 f"{shown_encoding} ({exc.reason}); re-save the whole file in one encoding.") from None

    def split_rows(text: str) -> tuple[list[list[str]], bool]:
        try:
            return _split_rows(text, delimiter)
        except csv.Error as exc:
            raise InputFileError("file.format", f"{name}: after row {rows_seen[0]:,} the file cannot be read as "
                                 f"CSV ({exc}); the rows before it were read: mend the file and send it whole "
                                 "again.") from None

    def _long(text: str) -> bool:
        """Whether a block may hold a line or cell over its limit (a marker, or a line as long as a cell
        may be); only those blocks are looked at row by row."""
        return _OVER in text or (len(text) > limits.cell_chars and
                                 max(map(len, text.split("\n"))) > limits.cell_chars)

    first_block = next_block() or ""
    first_line = first_block.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count) if first_line else ","
    top, top_multiline = split_rows(first_block)
    header: list[str] | None = None
    header_row = 1
    for i, row in enumerate(top[:_TITLE_ROWS]):
        if sum(1 for cell in row if cell.strip()) >= 2:
            header, header_row = row, i + 1
            break
    if header is None:
        nonblank = [i for i, r in enumerate(top[:_TITLE_ROWS]) if any(cell.strip() for cell in r)]
        if not nonblank:
            raise InputFileError("file.empty", f"{name}: has no header row (the first {_TITLE_ROWS} rows are blank).")
        header_row = nonblank[0] + 1
        header = top[nonblank[0]]
    while len(header) > 1 and not header[-1].strip():
        header = header[:-1]  # a delimiter at the end of the line, as some exports write: no column
    if _SURROGATE.search("".join(header)):
        raise InputFileError("file.encoding", f"{name}: the header row is not {shown_encoding} like the rest of "
                             "the file; re-save the whole file in one encoding (UTF-8).")
    width = len(header)

    def issues_of(rows: list[list[str]], flagged: bool, multiline: bool,
                  unbalanced: bool, long: bool, nul: bool = False) -> dict[int, tuple[str, str, str]]:
        issues: dict[int, tuple[str, str, str]] = {}
        if nul:
            for i, row in enumerate(rows):
                j = next((j for j, cell in enumerate(row) if "\x00" in cell), None)
                if j is not None:
                    issues[i] = _unheld(header[j] if j < len(header) else f"{j + 1}")
        if long:
            for i, row in enumerate(rows):
                if len(row) == 1 and _is_over(row[0]):
                    issues[i] = _too_long_line(row[0], limits.line_bytes)
            _long_cells(rows, header, limits.cell_chars, issues)
        if flagged:
            for i, row in enumerate(rows):
                if _SURROGATE.search("\x1f".join(row)):
                    issues[i] = ("record.encoding", f"The row is not {shown_encoding} like the rest of the file "
                                 "(it looks like another encoding); re-save the whole file in one encoding "
                                 "(UTF-8) and check it again.", _other_encoding(delimiter.join(row), encoding))
        if multiline:
            # A cell over several lines is fine when quoted; but when a quote is never closed (the
            # block ends inside it), or when the lines inside a cell look like whole rows, rows were
            # swallowed into one cell.
            last = len(rows) - 1
            for i, row in enumerate(rows):
                for cell in row:
                    if "\n" in cell and i not in issues and (
                            (unbalanced and i == last)
                            or any(line.count(delimiter) >= width - 1 for line in cell.split("\n")[1:])):
                        issues[i] = ("record.ragged", f"A cell runs over {cell.count(chr(10)) + 1} lines that look "
                                     "like rows: a quote (\") is probably not closed, so the lines after it were "
                                     "read into this cell; close the quote.", cell)
                        break
        return issues

    def row_chunks(first_row: int, rows: list[list[str]], flagged: bool, multiline: bool,
                   long: bool = True, nul: bool = False) -> Iterator[Chunk]:
        unbalanced = decoder.unbalanced
        issues = issues_of(rows, flagged, multiline, unbalanced, long, nul) \
            if flagged or multiline or long or nul else {}
        for start in range(0, len(rows), chunk_rows):
            part = rows[start:start + chunk_rows]
            mine = {i - start: issue for i, issue in issues.items() if start <= i < start + chunk_rows}
            yield Chunk.from_rows(first_row + start, part, width, mine)

    def chunks() -> Iterator[Chunk]:
        first_row = header_row + 1
        flagged = decoder.flagged
        nuls = decoder.nul_blocks
        rest = top[header_row:]
        yield from row_chunks(first_row, rest, flagged > 0, top_multiline, _long(first_block),
                              nuls > 0 or "\x00" in first_block)
        first_row += len(rest)
        while (text := next_block()) is not None:
            now = decoder.flagged
            nul = decoder.nul_blocks > nuls  # a UTF-16 file's too: it is read as UTF-8
            nuls = decoder.nul_blocks
            marked = _OVER in text
            plain = _split_columns(text, delimiter, width) if now == flagged and not marked and not nul else None
            if plain is not None and plain[2] > limits.cell_chars:
                plain = None  # a line as long as a cell may be: looked at row by row
            long = marked or (plain is None and _long(text))
            if plain is not None:
                columns, count, longest = plain
                stripped = not any(space in text for space in _SPACES)
                for start in range(0, count, chunk_rows):
                    part = [c[start:start + chunk_rows] for c in columns] if count > chunk_rows else columns
                    yield Chunk(first_row + start, min(chunk_rows, count - start), part, {}, stripped, longest)
            else:
                rows, multiline = split_rows(text)
                count = len(rows)
                yield from row_chunks(first_row, rows, now != flagged, multiline, long, nul)
            flagged = now
            first_row += count
            rows_seen[0] = first_row - 1

    return Table(name, "csv", shown_encoding, header, header_row, chunks(), stream.close)


# --- XLSX --------------------------------------------------------------------------------------

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
        return _number_text(value)
    return str(value)


def _number_text(value: float) -> str:
    """A number cell or JSON number as the digits it holds: a small one never in exponent form (``5e-05``,
    which no amount check reads, is ``0.00005``); one of 16 digits or more stays in it (``1.3e+17``: a
    spreadsheet keeps 15 significant digits, so an identity number typed as a number has lost its last ones,
    and written out whole it would pass for one with a wrong check character).

    >>> _number_text(500.0), _number_text(0.35), _number_text(5e-05), _number_text(130104198005069987.0)
    ('500', '0.35', '0.00005', '1.3010419800506998e+17')
    """
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    return format(decimal.Decimal(text), "f") if "e-" in text else text


_XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, EOFError, TypeError,
                ElementTree.ParseError)


def _shared_strings(source: IO[bytes], limit: int) -> list[str]:
    """An XLSX's shared strings table (what openpyxl's reader gives: the text of each ``<si>``, its
    phonetic runs left out), parsed a piece at a time: a string over ``limit`` characters is counted,
    never held, and its marker (:func:`_over`) stands in the table."""
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
            strings.append(_over(size) if size > limit else "".join(parts).replace("x005F_", ""))
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
    while piece := source.read(_SAMPLE):
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


class _XlsxRows(Iterator[list[str]]):
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
                if len(self.merged) < SHOWN_MERGED:
                    self.merged.append(ref)

    def close(self) -> None:
        rows = getattr(self, "_rows", None)
        if rows is not None:  # a sheet left midway (a header refused) holds its part open until its reader ends
            rows.close()
        self._book.close()


def _xlsx_table(path: str, name: str, chunk_rows: int, limits: limits_.Limits) -> Table:
    from openpyxl.utils import get_column_letter as letter

    rows = _XlsxRows(path, name, limits.cell_chars)
    limit = limits.cell_chars
    header: list[str] | None = None
    try:
        for cells in rows:
            cells = [c.strip() for c in cells]
            if sum(1 for c in cells if c) >= 2:
                header = cells
                break
            if rows.number >= _TITLE_ROWS:
                break
    except BaseException:
        rows.close()
        raise
    if header is None:
        rows.close()
        raise InputFileError("file.empty", f"{name}: the first sheet has no header row (a row with at least two "
                             f"column names) in its first {_TITLE_ROWS} rows.")
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
                if cells and (max(map(len, cells)) > limit or any(map(_is_over, cells))):
                    found: dict[int, tuple[str, str, str]] = {}
                    _long_cells([cells], header, limit, found)
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


# --- JSON Lines and XML: records of named values -----------------------------------------------

def _value_text(value: object) -> str | None:
    """A JSON value as cell text, or ``None`` for a list or object (not a value)."""
    if isinstance(value, dict | list):
        return None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    return str(value)


#: JSON's names of what is not a value.
_JSON_KINDS = {"dict": "object", "list": "array", "str": "string", "int": "number", "float": "number",
               "bool": "true or false", "NoneType": "null"}

#: A record of named values, a message saying why the line or element is none, or a whole row's issue.
_Record = dict[str, str] | str | tuple[str, str, str]


def _named_table(name: str, kind: str, encoding: str | None, records: Iterator[tuple[int, _Record]],
                 chunk_rows: int, close: Callable[[], None], more_fields: MoreFields | None = None) -> Table:
    """A table from (row number, mapping of field → text, or a message saying why it is no record)."""
    first = list(itertools.islice(records, chunk_rows))
    header: list[str] = []
    known: set[str] = set()
    for _, record in first:
        if isinstance(record, dict):
            for key in record:
                if key not in known:
                    known.add(key)
                    header.append(key)
    if not header:
        if not first:
            raise InputFileError("file.empty", f"{name}: holds no records.")
        raise InputFileError("file.format", f"{name}: none of the first {len(first):,} records holds named values; "
                             f"expected {'one JSON object per line' if kind == 'jsonl' else 'one element per record'}.")
    for key in more_fields(list(header)) if more_fields is not None else ():
        if key not in known:
            known.add(key)
            header.append(key)
    width = len(header)

    def chunks() -> Iterator[Chunk]:
        batch = first
        while batch:
            rows: list[list[str]] = []
            issues: dict[int, tuple[str, str, str]] = {}
            expected = batch[0][0]
            for number, record in batch:
                while expected < number:  # blank lines keep their numbers
                    rows.append([])
                    expected += 1
                expected += 1
                if isinstance(record, str | tuple):
                    issues[len(rows)] = ("record.shape", record, "") if isinstance(record, str) else record
                    rows.append([])
                    continue
                extra = [k for k in record if k not in known]
                if extra:
                    issues[len(rows)] = (
                        "record.shape", "The record has fields that the first records do not have ("
                        + ", ".join(extra) + "); give every record the same fields.", "")
                    rows.append([])
                    continue
                rows.append([record.get(h, "") for h in header])
            yield Chunk.from_rows(batch[0][0], rows, width, issues)
            batch = list(itertools.islice(records, chunk_rows))

    return Table(name, kind, encoding, header, 0, chunks(), close)


def _unheld(column: str | None) -> tuple[str, str, str]:
    """The issue of a row with a NUL or a lone surrogate in the cell of ``column`` (``None``: in a JSON
    Lines field name); the value is not shown: it cannot be, and it may be personal data."""
    where = f'Field "{column}"' if column is not None else "A field name"
    return ("record.bad_characters", f"{where} holds a NUL character or a lone surrogate (half of a UTF-16 pair, "
            "such as the JSON escape \\ud800), which no text here can hold; correct the value in the file and "
            "send the row again.", "")


#: Characters of a JSON line that could not be read kept as its problem's value.
_RAW_SHOWN = 100


def _jsonl_records(lines: Iterator[str], name: str,
                   limits: limits_.Limits = limits_.DEFAULT) -> Iterator[tuple[int, _Record]]:
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        if _is_over(text):
            yield number, _too_long_line(text, limits.line_bytes)
            continue
        if text.count("{") + text.count("[") > limits.json_depth and limits_.json_depth(text) > limits.json_depth:
            yield number, ("record.too_deep", f"The line nests JSON {limits_.json_depth(text)} levels deep, more "
                           f"than the limit of {limits.json_depth} (setting JJJCREDIT_LIMIT_JSON_DEPTH); each "
                           "line must be one flat object of field values.", "")
            continue
        if _SURROGATE.search(text):
            yield number, "The line is not UTF-8 like the rest of the file; re-save the file as UTF-8."
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:  # (the start of the line, to find it by: masked where it is shown)
            yield number, ("record.shape", f"The line is not valid JSON ({exc.msg} at character {exc.colno}); each "
                           "line must be one JSON object.", text[:_RAW_SHOWN])
            continue
        except RecursionError:  # within a limit set higher than the parser can follow
            yield number, ("record.too_deep", f"The line nests JSON {limits_.json_depth(text)} levels deep, more than "
                           "can be read; each line must be one flat object of field values.", "")
            continue
        except ValueError:  # a number of more digits than Python reads (4,300)
            yield number, "The line holds a number too long to read; write long numbers as text (in quotes)."
            continue
        if not isinstance(data, dict):
            yield number, ("record.shape", f"The line is a JSON {_JSON_KINDS.get(type(data).__name__, 'value')}, "
                           "not an object of field values.",
                           text[:_RAW_SHOWN])
            continue
        unheld = next((key for key, value in data.items()
                       if _UNHELD.search(key) or (isinstance(value, str) and _UNHELD.search(value))), None)
        if unheld is not None:
            yield number, _unheld(None if _UNHELD.search(unheld) else unheld)
            continue
        record: dict[str, str] = {}
        for key, value in data.items():
            text_value = _value_text(value)
            if text_value is None:
                record = {}
                yield number, (f'Field "{key}" holds a JSON {_JSON_KINDS[type(value).__name__]}: expected text or a '
                               "number (each line one flat object of field values).")
                break
            if len(text_value) > limits.cell_chars:
                record = {}
                yield number, _too_long_cell(str(key), f"{len(text_value):,}", limits.cell_chars)
                break
            record[str(key)] = text_value
        else:
            yield number, record


def _jsonl_table(stream: io.BufferedReader, name: str, chunk_rows: int, limits: limits_.Limits,
                 more_fields: MoreFields | None = None) -> Table:
    encoding = _csv_encoding(_head(stream), name)
    decoder = _Decoder(stream, encoding, limits.line_bytes)
    lines = (line for line in decoder.lines())
    return _named_table(name, "jsonl", "utf-8" if encoding == "utf-8-sig" else encoding,
                        _jsonl_records(lines, name, limits), chunk_rows, stream.close, more_fields)


class _XmlRecords:
    """Expat's callbacks for an XML file of records (the root's children; fields as attributes, as
    child elements, or as ``<field name="…">``), a piece at a time: a field's text is counted as it
    arrives and held only up to ``cell_chars``; a record's values (names and texts) up to
    ``line_bytes`` characters in all, past which the rest of it is counted, not held. Finished records
    wait in ``ready``."""

    def __init__(self, limits: limits_.Limits) -> None:
        self.limits = limits
        self.ready: list[tuple[int, _Record]] = []
        self.depth = 0
        self.number = 0  #: records begun
        self.finished = 0  #: records ended
        #: (a record's tag, its child's) when that record holds several children that each hold fields: the
        #: file's records are wrapped one level deeper than the root's children.
        self.wrapper: tuple[str, str] | None = None
        self._tag = ""
        self._inner = 0  # elements in the record's field begun so far
        self._holders = 0  # the record's fields holding two elements or more
        self._reset({})

    def _reset(self, record: dict[str, str]) -> None:
        self.record = record
        self.problem = ""
        self.total = sum(len(k) + len(v) for k, v in record.items())
        self.long: tuple[str, int] | None = next(((k, len(v)) for k, v in record.items()
                                                  if len(v) > self.limits.cell_chars), None)
        self.key: str | None = None
        self.parts: list[str] = []
        self.size = 0

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit(" ", 1)[-1]

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 2:
            self.number += 1
            self._tag, self._holders = self._local(tag), 0
            self._reset({self._local(k): v for k, v in attrs.items()})
        elif self.depth == 3:
            self._inner = 0
            local = self._local(tag)
            self.key = attrs.get("name") if local in _XML_FIELD else local
            self.parts, self.size = [], 0
            if self.key is None and not self.problem:
                self.problem = f"A <{local}> element has no name attribute."
        elif self.depth > 3:
            self._inner += self.depth == 4
            if not self.problem:
                self.problem = f"Field <{self.key}> holds elements, not a value."

    def text(self, data: str) -> None:
        if self.depth == 3:
            self.size += len(data)
            self.total += len(data)
            if self.size <= self.limits.cell_chars and self.total <= self.limits.line_bytes:
                self.parts.append(data)

    def end(self, tag: str) -> None:
        if self.depth == 3 and self._inner >= 2:
            self._holders += 1
            if self._holders >= 2 and self.wrapper is None:
                self.wrapper = (self._tag, self._local(tag))
        if self.depth == 3 and self.key is not None:
            self.total += len(self.key)
            if self.size > self.limits.cell_chars and self.long is None:
                self.long = (self.key, self.size)
            if self.total <= self.limits.line_bytes:
                self.record[self.key] = "".join(self.parts)
        elif self.depth == 2:
            self.finished += 1
            self.ready.append((self.number, self._finished()))
            self._reset({})
        self.depth -= 1

    def _finished(self) -> _Record:
        if self.problem:
            return self.problem
        if self.long is not None:
            return _too_long_cell(self.long[0], f"{self.long[1]:,}", self.limits.cell_chars)
        if self.total > self.limits.line_bytes:
            return ("record.too_long", f"The record holds {self.total:,} characters of names and values, more "
                    f"than the limit of {self.limits.line_bytes:,} (setting JJJCREDIT_LIMIT_LINE_BYTES); it was "
                    "counted, not held: split or shorten it.", "")
        return self.record


def _xml_records(stream: io.BufferedReader, name: str,
                 limits: limits_.Limits = limits_.DEFAULT) -> Iterator[tuple[int, _Record]]:
    from xml.parsers import expat

    records = _XmlRecords(limits)

    def no_doctype(*_args: object) -> None:
        raise expat.ExpatError("a document type is declared (entities are not accepted)")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = records.start, records.end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = records.text, no_doctype
    decoder = codecs.getincrementaldecoder("gb18030")() if _xml_in_gb18030(_head(stream), name) else None
    first = True
    try:
        while True:
            piece = stream.read(_SAMPLE)
            if decoder is None:
                parser.Parse(piece, not piece)
            else:  # expat reads no multi-byte encoding but its own: given text, it reads it whatever is declared
                try:
                    text = decoder.decode(piece, final=not piece)
                except UnicodeDecodeError:
                    raise InputFileError("file.encoding", f"{name}: after record {records.finished:,} the file is "
                                         "not valid GB18030; re-save the whole file in one encoding (UTF-8).") from None
                parser.Parse(text[1:] if first and text.startswith("\ufeff") else text, not piece)
                first = False
            if records.wrapper is not None:
                outer, inner = records.wrapper
                raise InputFileError("file.format", f"{name}: <{outer}> (element {records.number:,} under the root) "
                                     f"holds <{inner}> elements that hold values: records are read as the root's "
                                     "children, each with its fields as child elements or <field name=\"…\">, and "
                                     f"this file's records seem to be the <{inner}> elements inside <{outer}>. Send "
                                     f"them as the root's children (<root><{inner}>…</{inner}><{inner}>…</{inner}>"
                                     "</root>), without the envelope, and send the file again.")
            yield from records.ready
            records.ready.clear()
            if not piece:
                return
    except expat.ExpatError as exc:
        yield from records.ready
        reason = expat.ErrorString(exc.code) if getattr(exc, "code", None) else str(exc)
        raise InputFileError("file.format", f"{name}: is not well-formed XML at line {parser.ErrorLineNumber}, "
                             f"column {parser.ErrorColumnNumber + 1} ({reason}); the {records.finished:,} records "
                             "before it were read: mend the file and send it whole again.") from None


#: The encoding an XML declaration names (its first 200 bytes are ASCII in every encoding read here).
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _xml_in_gb18030(head: bytes, name: str) -> bool:
    """Whether an XML file is in GB18030 (or GBK or GB 2312, which it extends): as its declaration says,
    or, declaring nothing, when it is not UTF-8 (:func:`detect_encoding`). Another encoding expat does not
    read is refused by name."""
    if head.startswith(_GB18030_BOM):
        return True
    declared = _XML_ENCODING.search(head[:200])
    if declared is None:
        return not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and \
            detect_encoding(head, name) == "gb18030"
    encoding = declared.group(1).decode("ascii").lower().replace("_", "-")
    if encoding in ("gb18030", "gbk", "gb2312", "cp936", "ms936", "euc-cn", "x-gbk"):
        return True
    if encoding not in ("utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii", "iso-8859-1",
                        "latin-1", "latin1"):
        raise InputFileError("file.encoding", f"{name}: declares the encoding {encoding}, which is not read here; "
                             "expected UTF-8 or GB18030 (re-save it as UTF-8).")
    return False


def _xml_table(stream: io.BufferedReader, name: str, chunk_rows: int, limits: limits_.Limits,
               more_fields: MoreFields | None = None) -> Table:
    return _named_table(name, "xml", None, _xml_records(stream, name, limits), chunk_rows, stream.close,
                        more_fields)
