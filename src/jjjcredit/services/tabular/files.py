"""A file opened for reading — a path, or standard input for ``-`` — with its first 64 KiB in view, and
what every reader raises when the file itself cannot be read (:class:`InputFileError`)."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from jjjcredit.core.errors import Error

SAMPLE = 1 << 16  #: the bytes looked at to tell a file's format and encoding
XLSX_MAGIC = b"PK\x03\x04"


class InputFileError(Error):
    """The input file cannot be read as asked. ``code`` is stable (see docs/errors.md)."""


@dataclass(frozen=True)
class Cell:
    """One value and where the user sees it: ``row`` is the spreadsheet row (header = 1)."""

    row: int
    value: str


def not_found(path: str, expected: str = "") -> InputFileError:
    """The error of a file that is not there: the path as given, and where it was looked for when that is
    not the same (a relative path, from the current folder)."""
    where = Path(path).absolute()
    looked = "" if str(where) == path else f" (looked for {where})"
    wanted = f"; expected {expected}" if expected else ""
    return InputFileError("file.not_found", f"{path}: no such file{looked}{wanted}.")


def open_binary(path: str | None) -> tuple[io.BufferedReader, str]:
    """A buffered stream whose ``peek`` shows the first 64 KiB without consuming them."""
    if path is None or path == "-":
        raw = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
        return io.BufferedReader(raw, buffer_size=SAMPLE), "standard input"  # type: ignore[arg-type]
    p = Path(path)
    if not p.exists():
        raise not_found(path)
    if p.is_dir():
        raise InputFileError("file.is_directory", f"{path}: is a folder, expected a file.")
    return io.BufferedReader(io.FileIO(p, "rb"), buffer_size=SAMPLE), str(path)


def head(stream: io.BufferedReader) -> bytes:
    return stream.peek(SAMPLE)[:SAMPLE]
