"""Reading what people send: text, CSV and XLSX files, in UTF-8 (with or without BOM) or GB18030.

Everything streams. Problems with the file itself — empty, binary, an encoding that changes
half-way, a truncated XLSX, a missing column — raise :class:`InputFileError` with a one-line
message that names the file and the place, and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SAMPLE = 1 << 16
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f", "\v"}
_XLSX_MAGIC = b"PK\x03\x04"
csv.field_size_limit(1 << 30)


class InputFileError(Exception):
    """The input file cannot be read as asked. ``code`` is stable (see docs/errors.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
            "file.xlsx_needs_column", f"{name}: is an XLSX workbook; name the column with --column.")
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
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputFileError(
            "file.xlsx_damaged", f"{name}: is not a readable XLSX workbook ({exc}); it may be "
            "truncated: export it again.") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputFileError("file.empty", f"{name}: the first sheet is empty.")
        index = _pick_column(["" if h is None else str(h) for h in header], column, name)
        for number, row in enumerate(rows, start=2):
            value = row[index] if index < len(row) else None
            if value is None and not any(v is not None for v in row):
                continue
            yield Cell(number, "" if value is None else str(value))
    finally:
        book.close()
