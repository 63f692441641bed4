"""CSV files for their rows — and tab, semicolon or bar separated ones (the delimiter is the one the first
line holds most of): the header found below any title lines, then blocks of a megabyte, each split at once
into columns when it is plain (no quotes, every line as wide as the header: most exports), else row by
row through the csv module, which finds the rows that cannot be split into cells (ragged, in another
encoding, a quote never closed, a NUL byte, a line or cell over its limit)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Sequence

from jjjcredit.core import limits as limits_
from jjjcredit.services.tabular import decoding, files, tables
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.services.tabular.tables import Chunk, Table

_DELIMITERS = (",", "\t", ";", "|")
#: Blocks without these characters need no cell stripped (a search per character is much faster than
#: stripping every cell, or a regular expression over the block).
_SPACES = (" ", "\t", "\u3000", "\xa0")


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


def _split_columns(text: str, delimiter: str, width: int,
                   arrow: bool = False) -> tuple[Sequence[Sequence[str]], int, int] | None:
    """The columns of a block of CSV text when it is plain — no quotes, every line ``width`` cells —
    which most exports are: one split of the whole block, then every ``width``-th cell (or, ``arrow``,
    split by pyarrow's CSV parser into columns of :class:`tables.ArrowColumn`). ``None`` when the block needs the
    row by row path."""
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
    if arrow and "" not in lines:  # (an empty line, a row of one empty cell: split as below)
        return _arrow_columns(text, delimiter, width), len(lines), max(map(len, lines))
    flat = text.replace(end, delimiter).split(delimiter) if len(lines) > 1 else lines[0].split(delimiter)
    return [flat[j::width] for j in range(width)], len(lines), max(map(len, lines))


def _arrow_columns(text: str, delimiter: str, width: int) -> list[tables.ArrowColumn]:
    """A plain block's columns as pyarrow's CSV parser splits its UTF-8 (no quoting: the block has no quote;
    a line break ends a row, an empty line is a row of one empty cell, as :func:`_split_columns` has it)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    data = text.encode("utf-8")
    names = [f"c{j}" for j in range(width)]
    table = pa_csv.read_csv(io.BytesIO(data), read_options=pa_csv.ReadOptions(
        column_names=names, use_threads=False, block_size=len(data) + 1), parse_options=pa_csv.ParseOptions(
        delimiter=delimiter, quote_char=False, double_quote=False, escape_char=False, newlines_in_values=False,
        ignore_empty_lines=False), convert_options=pa_csv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False,
        check_utf8=False))  # (UTF-8 encoded here from text: nothing to check, which halves the parser's time)
    return [tables.ArrowColumn(table.column(j).combine_chunks()) for j in range(width)]


#: Bytes a block of a file read for Arrow columns is read in.
ARROW_BLOCK = 4 << 20


def csv_table(stream: io.BufferedReader, name: str, chunk_rows: int, limits: limits_.Limits,
              arrow: bool = False, names: tables.HeaderNames | None = None) -> Table:
    """``arrow``: plain blocks are split by pyarrow (:func:`_arrow_columns`) into chunks of ``chunk_rows``
    rows, for a reader of Arrow columns. ``names``: how the header is told from a line above it
    (:func:`tables.header_at`)."""
    encoding = decoding.majority_encoding(files.head(stream), name)
    shown_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding == "utf-16":  # read as UTF-8, so that its lines are measured and cut like the others'
        stream = io.BufferedReader(decoding.Utf16AsUtf8(stream), buffer_size=files.SAMPLE)
        encoding = "utf-8"
    # (pyarrow's parser takes a few ms a call: a block of a few MB keeps that a small share)
    decoder = decoding.Decoder(stream, encoding, limits.line_bytes, ARROW_BLOCK if arrow else None)
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
        return tables.OVER in text or (len(text) > limits.cell_chars and
                                 max(map(len, text.split("\n"))) > limits.cell_chars)

    first_block = next_block() or ""
    first_line = first_block.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count) if first_line else ","
    top, top_multiline = split_rows(first_block)
    header: list[str] | None = None
    header_row = 1
    at = tables.header_at(top[:tables.TITLE_ROWS], names)
    if at is not None:
        header, header_row = top[at], at + 1
    if header is None:
        nonblank = [i for i, r in enumerate(top[:tables.TITLE_ROWS]) if any(cell.strip() for cell in r)]
        if not nonblank:
            raise InputFileError("file.empty", f"{name}: has no header row (the first {tables.TITLE_ROWS} rows are "
                                 "blank).")
        header_row = nonblank[0] + 1
        header = top[nonblank[0]]
    while len(header) > 1 and not header[-1].strip():
        header = header[:-1]  # a delimiter at the end of the line, as some exports write: no column
    if tables.SURROGATE.search("".join(header)):
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
                    issues[i] = tables.unheld(header[j] if j < len(header) else f"{j + 1}")
        if long:
            for i, row in enumerate(rows):
                if len(row) == 1 and tables.is_over(row[0]):
                    issues[i] = tables.too_long_line(row[0], limits.line_bytes)
            tables.long_cells(rows, header, limits.cell_chars, issues)
        if flagged:
            for i, row in enumerate(rows):
                if decoder.cut_off and i == len(rows) - 1 and tables.SURROGATE.search("\x1f".join(row)):
                    issues[i] = ("record.cut_off", "The file ends in the middle of a character: its last line "
                                 "looks cut off, the file incomplete (an interrupted copy, download or export); "
                                 "send the whole file again.",
                                 delimiter.join(row).encode("ascii", "surrogateescape").decode(decoder.encoding,
                                                                                               "replace"))
                elif tables.SURROGATE.search("\x1f".join(row)):
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

    pending: list[tuple[int, int, Sequence[Sequence[str]], bool, int]] = []  # plain blocks split by pyarrow

    def flush(whole: bool) -> Iterator[Chunk]:
        """The plain blocks split by pyarrow as chunks of ``chunk_rows`` rows (``whole``: the rest too)."""
        total = sum(p[1] for p in pending)
        if not pending or (total < min(chunk_rows, tables.ARROW_ROWS_PER_CHUNK) and not whole):
            return
        import pyarrow as pa

        parts = [[c.array for c in p[2] if isinstance(c, tables.ArrowColumn)] for p in pending]
        arrays = parts[0] if len(parts) == 1 else [pa.concat_arrays([p[j] for p in parts]) for j in range(width)]
        first, stripped, longest = pending[0][0], all(p[3] for p in pending), max(p[4] for p in pending)
        pending.clear()
        rows = min(chunk_rows, tables.ARROW_ROWS_PER_CHUNK)
        for start in range(0, total, rows):
            size = min(rows, total - start)
            columns = [tables.ArrowColumn(a.slice(start, size)) for a in arrays]
            if size < rows and not whole:
                pending.append((first + start, size, columns, stripped, longest))
                return
            yield Chunk(first + start, size, columns, {}, stripped, longest)

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
            marked = tables.OVER in text
            plain = _split_columns(text, delimiter, width, arrow) if now == flagged and not marked and not nul \
                else None
            if plain is not None and plain[2] > limits.cell_chars:
                plain = None  # a line as long as a cell may be: looked at row by row
            long = marked or (plain is None and _long(text))
            if plain is not None and isinstance(plain[0][0], tables.ArrowColumn):
                columns, count, longest = plain
                pending.append((first_row, count, columns, not any(space in text for space in _SPACES), longest))
                yield from flush(False)
            elif plain is not None:
                yield from flush(True)
                columns, count, longest = plain
                stripped = not any(space in text for space in _SPACES)
                for start in range(0, count, chunk_rows):
                    part = [c[start:start + chunk_rows] for c in columns] if count > chunk_rows else columns
                    yield Chunk(first_row + start, min(chunk_rows, count - start), part, {}, stripped, longest)
            else:
                yield from flush(True)
                rows, multiline = split_rows(text)
                count = len(rows)
                yield from row_chunks(first_row, rows, now != flagged, multiline, long, nul)
            flagged = now
            first_row += count
            rows_seen[0] = first_row - 1
        yield from flush(True)

    return Table(name, "csv", shown_encoding, header, header_row, chunks(), stream.close)
