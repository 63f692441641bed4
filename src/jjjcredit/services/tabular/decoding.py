"""Text as the readers take it: a file's encoding (detected from a sample, or by the majority of its
lines), its lines a megabyte at a time, and :class:`Decoder` — a stream decoded block by block, a line
over its limit skipped as it is read, a line in another encoding than the file's flagged, not decoded into
nonsense; a UTF-16 file read as UTF-8 (:class:`Utf16AsUtf8`)."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import Any

from jjjcredit.core import limits as limits_
from jjjcredit.services.tabular import files, tables
from jjjcredit.services.tabular.files import InputFileError

_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f", "\v"}
_BLOCK = 1 << 20


_UTF32 = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def detect_encoding(sample: bytes, name: str) -> str:
    """The encoding of a text sample: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030.

    >>> detect_encoding("统一社会信用代码".encode("gb18030"), "x")
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + b"abc", "x")
    'utf-8-sig'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_UTF32):  # (before UTF-16's, which UTF-32 LE's starts with)
        raise InputFileError("file.encoding", f"{name}: is UTF-32 text, which is not read; re-save it as UTF-8.")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    nul = sample.find(b"\x00")
    if nul >= 0:
        raise InputFileError(
            "file.binary", f"{name}: does not look like a text file (it contains NUL bytes at "
            f"byte {nul + 1}); expected text (CSV, JSON Lines, XML, or codes one a line) or an XLSX workbook.")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch in _CONTROL)
        if controls > max(2, len(text) // 100):
            raise InputFileError(
                "file.binary", f"{name}: does not look like a text file ({controls} control "
                "characters in the first 64 KiB); expected text (CSV, JSON Lines, XML, or codes one a line) or an "
                "XLSX workbook.")
        return encoding
    raise InputFileError(
        "file.encoding", f"{name}: is neither UTF-8 nor GB18030 text; re-save it as UTF-8.")


_CHUNK = 1 << 20
#: U+FEFF in GB18030, which some editors write at the start of a GB18030 file.
GB18030_BOM = "\ufeff".encode("gb18030")


def line_batches(stream: io.BufferedReader, name: str) -> Iterator[list[str]]:
    """The decoded lines of a text stream, a megabyte at a time, line endings removed.

    Decoding is incremental, so a byte sequence that is not valid in the detected encoding is
    reported with its exact line number.
    """
    head = files.head(stream)
    if not head:
        raise InputFileError("file.empty", f"{name}: the file is empty; expected one code per line.")
    if head.startswith(files.XLSX_MAGIC):
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


def text_lines(stream: io.BufferedReader, name: str) -> Iterator[tuple[int, str]]:
    number = 0
    for batch in line_batches(stream, name):
        for line in batch:
            number += 1
            yield number, line


def majority_encoding(sample: bytes, name: str) -> str:
    """UTF-8 or GB18030 by the majority of non-ASCII lines in the sample (a file mixing both is
    read in the majority's encoding; the other rows are flagged)."""
    try:
        encoding = detect_encoding(sample, name)
    except InputFileError as exc:
        if exc.code != "file.encoding" or sample.startswith(_UTF32):
            raise
        encoding = "gb18030"
    if encoding != "gb18030":
        return encoding
    lines = sample.split(b"\n")
    if len(lines) > 1 and len(sample) >= files.SAMPLE:
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


class Decoder:
    """Decodes a byte stream block by block (each block ends at a line end, outside quotes); lines in
    another encoding than the file's come out as ASCII with surrogate escapes, so that their row can
    be flagged — and shown correctly — instead of being decoded into nonsense. A line over
    ``line_bytes`` is never held: it is read a piece at a time, dropped, and a marker line
    (:func:`tables.over`) takes its place, counted in ``long_lines``."""

    def __init__(self, stream: io.BufferedReader, encoding: str, line_bytes: int = limits_.DEFAULT.line_bytes,
                 block: int | None = None) -> None:
        self.stream = stream
        self.block = block  #: bytes a block is read in (then up to its line's end); None: _BLOCK
        self.line_bytes = line_bytes
        self.long_lines = 0  #: lines over the limit so far
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.bom = encoding == "utf-8-sig"
        self.flagged = 0  #: lines flagged so far
        self.nul_blocks = 0  #: blocks holding a NUL byte so far (past the first, judged as text, one can be)
        self.unbalanced = False  #: the last block ended inside quotes (a quote never closed)
        #: the file ends in the middle of a character: its last line is cut off (the file incomplete), its bytes
        #: not another encoding's (known once the last block is read)
        self.cut_off = False

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
        return tables.over(size).encode("ascii") + b"\n"

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
                lines[i] = tables.over(len(line)).encode("ascii")
        return b"\n".join(lines)

    def blocks(self, quoted: bool = True) -> Iterator[str]:
        first = True
        while True:
            block = self.stream.read(self.block or _BLOCK)
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
            if first and self.encoding == "gb18030" and block.startswith(GB18030_BOM):
                block = block[len(GB18030_BOM):]
            first = False
            self.nul_blocks += b"\x00" in block
            try:
                text = block.decode(self.encoding)
                if self.encoding == "gb18030" and self._has_utf8_lines(block):
                    text = "".join(map(self._line, block.splitlines(keepends=True)))
            except UnicodeDecodeError:
                text = "".join(map(self._line, block.splitlines(keepends=True)))
                self.cut_off = self._ends_mid_character(block) and not self.stream.peek(1)
            yield text

    def _ends_mid_character(self, block: bytes) -> bool:
        """Whether the last line of ``block`` is good text up to a character begun and not finished."""
        last = block[block.rfind(b"\n") + 1:]
        decoder = codecs.getincrementaldecoder(self.encoding)()
        try:
            decoder.decode(last, final=False)
        except UnicodeDecodeError:
            return False
        return bool(decoder.getstate()[0])

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


class Utf16AsUtf8(io.RawIOBase):
    r"""A UTF-16 stream (with its BOM) read as UTF-8 bytes, decoded a block at a time; a byte sequence
    that is not UTF-16 raises :class:`UnicodeDecodeError` where it is met.

    >>> raw = io.BufferedReader(io.BytesIO("代码,名称\n1,甲\n".encode("utf-16")))
    >>> io.BufferedReader(Utf16AsUtf8(raw)).read().decode("utf-8")
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
