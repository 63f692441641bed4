"""Files of records of named values — JSON Lines (one flat object a line) and XML (one element a record under
the root; fields as attributes, child elements or ``<field name="…">``) — as tables: the header is the
fields of the first chunk's records (and those the caller expects later), a record with other fields, or a
line or element that is no record, is one rejected row. JSON Lines is read by lines (``decoding.Decoder``), XML
by expat a piece at a time; neither holds a line, record or value over its limit."""

from __future__ import annotations

import codecs
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator

from jjjcredit.core import limits as limits_
from jjjcredit.services.tabular import decoding, files, tables
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.services.tabular.tables import Chunk, MoreFields, Table

#: What no text of the platform can hold (a JSON escape can write either): a NUL or a lone surrogate.
_UNHELD = re.compile("[\x00\ud800-\udfff]")
_XML_FIELD = frozenset({"field", "字段"})


def _value_text(value: object) -> str | None:
    """A JSON value as cell text, or ``None`` for a list or object (not a value)."""
    if isinstance(value, dict | list):
        return None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return tables.number_text(value)
    return str(value)


#: JSON's names of what is not a value.
_JSON_KINDS = {"dict": "object", "list": "array", "str": "string", "int": "number", "float": "number",
               "bool": "true or false", "NoneType": "null"}

#: A record of named values, a message saying why the line or element is none, or a whole row's issue.
_Record = dict[str, str] | str | tuple[str, str, str]


def _named_table(name: str, kind: str, encoding: str | None, records: Iterator[tuple[int, _Record]],
                 chunk_rows: int, close: Callable[[], None], more_fields: MoreFields | None = None,
                 none_ok: bool = False, shape: Callable[[], str] = lambda: "") -> Table:
    """A table from (row number, mapping of field → text, or a message saying why it is no record). A file
    of no record (an XML root holding no element, JSON Lines of blank lines only) is a table of no row and no
    header when ``none_ok`` (``Table.no_records``), as a CSV file of a header only is a table of no row;
    otherwise ``file.empty``. ``shape`` says where a file's values are when none of its first records holds
    any."""
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
            if none_ok:
                return Table(name, kind, encoding, [], 0, iter(()), close, no_records=True)
            raise InputFileError("file.empty", f"{name}: holds no records.")
        raise InputFileError("file.format", _no_named_values(name, kind, first, shape()))
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

def _no_named_values(name: str, kind: str, first: list[tuple[int, _Record]], shape: str) -> str:
    """Why a file none of whose first records holds named values is refused: what it seems to be, and the
    first record's problem."""
    number, problem = first[0]
    said, shown = (problem[1], problem[2]) if isinstance(problem, tuple) else (str(problem), "")
    if kind == "jsonl" and shown.lstrip().startswith("["):
        return (f"{name}: this is a JSON array, not JSON Lines (one object a line): write each record as one JSON "
                "object on a line of its own, without the enclosing [ ] and the commas between records, and send "
                "the file again.")
    if shape:
        return f"{name}: {shape}"
    expected = "one JSON object per line" if kind == "jsonl" else "one element per record under the root"
    return (f"{name}: none of the first {len(first):,} records holds named values; expected {expected}. The first, "
            f"{'line' if kind == 'jsonl' else 'record'} {number:,}: {said}")


#: Characters of a JSON line that could not be read kept as its problem's value.
_RAW_SHOWN = 100


def _once_each(twice: list[str]) -> Callable[[list[tuple[str, object]]], dict[str, object]]:
    """A JSON object's fields, the names of those named twice into ``twice`` (``json`` keeps the last of a
    field named twice, silently)."""

    def pairs_to_dict(pairs: list[tuple[str, object]]) -> dict[str, object]:
        data = dict(pairs)
        if len(data) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    twice.append(key)
                seen.add(key)
        return data

    return pairs_to_dict


def _jsonl_records(lines: Iterator[str], name: str, limits: limits_.Limits = limits_.DEFAULT,
                   cut_off: Callable[[], bool] = lambda: False) -> Iterator[tuple[int, _Record]]:
    twice: list[str] = []
    pairs_to_dict = _once_each(twice)
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        if tables.is_over(text):
            yield number, tables.too_long_line(text, limits.line_bytes)
            continue
        if text.count("{") + text.count("[") > limits.json_depth and limits_.json_depth(text) > limits.json_depth:
            yield number, ("record.too_deep", f"The line nests JSON {limits_.json_depth(text)} levels deep, more "
                           f"than the limit of {limits.json_depth} (setting JJJCREDIT_LIMIT_JSON_DEPTH); each "
                           "line must be one flat object of field values.", "")
            continue
        if tables.SURROGATE.search(text):
            yield number, (("record.cut_off", "The file ends in the middle of a character: its last line looks cut "
                            "off, the file incomplete (an interrupted copy, download or export); send the whole "
                            "file again.", "") if cut_off() and not line.endswith(("\n", "\r")) else
                           "The line is not UTF-8 like the rest of the file; re-save the file as UTF-8.")
            continue
        try:
            twice.clear()
            data = json.loads(text, object_pairs_hook=pairs_to_dict)
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
        if twice:
            yield number, ("record.shape", f'The line names the field "{twice[0][:80]}" twice; keep one (each field '
                           "once a line).", "")
            continue
        if not isinstance(data, dict):
            yield number, ("record.shape", f"The line is a JSON {_JSON_KINDS.get(type(data).__name__, 'value')}, "
                           "not an object of field values.",
                           text[:_RAW_SHOWN])
            continue
        unheld = next((key for key, value in data.items()
                       if _UNHELD.search(key) or (isinstance(value, str) and _UNHELD.search(value))), None)
        if unheld is not None:
            yield number, tables.unheld(None if _UNHELD.search(unheld) else unheld)
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
                yield number, tables.too_long_cell(str(key), f"{len(text_value):,}", limits.cell_chars)
                break
            record[str(key)] = text_value
        else:
            yield number, record


def jsonl_table(stream: io.BufferedReader, name: str, chunk_rows: int, limits: limits_.Limits,
                more_fields: MoreFields | None = None, none_ok: bool = False) -> Table:
    encoding = decoding.majority_encoding(files.head(stream), name)
    decoder = decoding.Decoder(stream, encoding, limits.line_bytes)
    lines = (line for line in decoder.lines())
    return _named_table(name, "jsonl", "utf-8" if encoding == "utf-8-sig" else encoding,
                        _jsonl_records(lines, name, limits, lambda: decoder.cut_off), chunk_rows, stream.close,
                        more_fields, none_ok)


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
        self._path: list[str] = []  # the open elements' names, the root's first
        self._leaf: list[bool] = []  # of each open element: whether it holds no element (so far)
        #: the path to the first element that holds a value in an element of its own, when it is deeper than
        #: the root's children: where the file's records seem to be
        self.deeper: list[str] | None = None

    def shape(self) -> str:
        """Where the file's records seem to be, when none of the root's children holds values of its own."""
        if self.deeper is None:
            return ""
        deeper = [t if len(t) <= 40 else t[:40] + "…" for t in self.deeper]  # (said short, however deep and long)
        record, holder = deeper[-1], deeper[-2]
        path = deeper if len(deeper) <= 8 else [*deeper[:3], "…", *deeper[-3:]]
        return (f"no record holds values: records are read as the root's children (<{deeper[0]}>'s), each "
                "with its fields as child elements or <field name=\"…\">, and this file's records seem to be the "
                f"<{record}> elements {len(self.deeper) - 1:,} levels down, at {'/'.join(path)}. Send "
                f"<{holder}> as the root (<{holder}><{record}>…</{record}><{record}>…</{record}></{holder}>), "
                "without the envelope around it, and send the file again.")

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
        if self._leaf:
            self._leaf[-1] = False
        self._path.append(self._local(tag))
        self._leaf.append(True)
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
        self._path.pop()
        if self._leaf.pop() and self.deeper is None and self.depth > 3 and len(self._path) >= 3:
            self.deeper = list(self._path)
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
            return tables.too_long_cell(self.long[0], f"{self.long[1]:,}", self.limits.cell_chars)
        if self.total > self.limits.line_bytes:
            return ("record.too_long", f"The record holds {self.total:,} characters of names and values, more "
                    f"than the limit of {self.limits.line_bytes:,} (setting JJJCREDIT_LIMIT_LINE_BYTES); it was "
                    "counted, not held: split or shorten it.", "")
        return self.record


def _xml_records(stream: io.BufferedReader, name: str, records: _XmlRecords) -> Iterator[tuple[int, _Record]]:
    from xml.parsers import expat

    def no_doctype(*_args: object) -> None:
        raise expat.ExpatError("a document type is declared (entities are not accepted)")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = records.start, records.end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = records.text, no_doctype
    decoder = codecs.getincrementaldecoder("gb18030")() if _xml_in_gb18030(files.head(stream), name) else None
    first = True
    try:
        while True:
            piece = stream.read(files.SAMPLE)
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
    or, declaring nothing, when it is not UTF-8 (:func:`decoding.detect_encoding`). Another encoding expat does not
    read is refused by name."""
    if head.startswith(decoding.GB18030_BOM):
        return True
    declared = _XML_ENCODING.search(head[:200])
    if declared is None:
        return not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and \
            decoding.detect_encoding(head, name) == "gb18030"
    encoding = declared.group(1).decode("ascii").lower().replace("_", "-")
    if encoding in ("gb18030", "gbk", "gb2312", "cp936", "ms936", "euc-cn", "x-gbk"):
        return True
    if encoding not in ("utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii", "iso-8859-1",
                        "latin-1", "latin1"):
        raise InputFileError("file.encoding", f"{name}: declares the encoding {encoding}, which is not read here; "
                             "expected UTF-8 or GB18030 (re-save it as UTF-8).")
    return False


def xml_table(stream: io.BufferedReader, name: str, chunk_rows: int, limits: limits_.Limits,
              more_fields: MoreFields | None = None, none_ok: bool = False) -> Table:
    records = _XmlRecords(limits)
    return _named_table(name, "xml", None, _xml_records(stream, name, records), chunk_rows, stream.close,
                        more_fields, none_ok, records.shape)
