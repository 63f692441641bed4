"""The rows of an exchange package in each format, written and read back the same: JSON Lines, CSV
(UTF-8 or GB18030), XML (valid against :func:`xsd`) and Parquet. Pure: bytes in, bytes out.

Every value is text or absent. Rows are written in the order given (the service sorts them by key),
columns in the package's order (organizations: the code, then the elements the audience sees in element
order; credit records: :data:`CREDIT_COLUMNS`), an absent value left out (JSON Lines, XML) or empty (CSV)
or null (Parquet) — so a package read back and written again is the same bytes.

>>> rows = [{"uscc": "91130102MA0000000X", "name": "某公司", "status": None}]
>>> data = write("jsonl", "organizations", ("uscc", "name", "status"), rows)
>>> data
b'{"uscc":"91130102MA0000000X","name":"\\xe6\\x9f\\x90\\xe5\\x85\\xac\\xe5\\x8f\\xb8"}\\n'
>>> all(write(f, "organizations", ("uscc", "name", "status"),
...           read(f, "organizations", ("uscc", "name", "status"), write(f, "organizations",
...                ("uscc", "name", "status"), rows))) == write(f, "organizations", ("uscc", "name", "status"), rows)
...     for f in ("jsonl", "csv", "xml", "parquet"))
True
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any, BinaryIO, NamedTuple
from xml.sax.saxutils import escape

from jjjcredit.core.codes import uscc
from jjjcredit.core.codes.personal import personal_in, shown_personal
from jjjcredit.core.credit import persons
from jjjcredit.core.credit.catalogue import CODE_PATTERN, SEVERITIES, SUBJECT_TYPES
from jjjcredit.core.exchange.packages import ExchangeError
from jjjcredit.core.library import element_schemas, elements

Row = dict[str, str | None]

#: A credit record version as a package carries it: the record's identity (``id`` = hash of item,
#: provider and document number), the version and what made it, when it was kept (``at``) and when the
#: record first arrived (``received``), the record's fields, and its values as JSON (identity numbers
#: masked: core/exchange/packages.PERSONAL).
CREDIT_COLUMNS: tuple[str, ...] = (
    "id", "version", "action", "status", "at", "received", "item", "provider", "document_number", "subject_type",
    "subject_key", "subject_name", "subject_code", "severity", "decided_on", "valid_until", "revoked_on", "reason",
    "values")
#: The credit columns every row has.
CREDIT_REQUIRED: frozenset[str] = frozenset({"id", "version", "action", "status", "at", "received", "item",
                                             "provider", "document_number", "subject_type", "subject_key",
                                             "subject_name", "values"})
#: The columns of a **withdrawal** (a row without ``values``): a record a public delta says is no longer
#: public — which record, its version, status and time, and nothing else.
WITHDRAWAL: frozenset[str] = frozenset({"id", "version", "action", "status", "at"})
#: The record element and the root element of each kind in XML.
XML_NAMES: dict[str, tuple[str, str]] = {"organizations": ("organizations", element_schemas.RECORD_ELEMENT),
                                         "credit_records": ("credit_records", "credit_record")}


def columns_of(kind: str, shown: Sequence[str]) -> tuple[str, ...]:
    """A package's columns: for organizations the code and the elements ``shown`` (element order)."""
    if kind == "credit_records":
        return CREDIT_COLUMNS
    return tuple(n for n in elements.COLUMN_ORDER if n == "uscc" or n in shown)


def _clean(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def write(fmt: str, kind: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]],
          encoding: str = "utf-8") -> bytes:
    """The data file of ``rows`` in format ``fmt`` (``encoding`` for CSV: utf-8-sig or gb18030)."""
    out = io.BytesIO()
    writer = DataWriter(out, fmt, kind, columns, encoding)
    writer.write(rows)
    writer.close()
    return out.getvalue()


class DataWriter:
    """A data file written to ``out`` a batch of rows at a time (memory holds one batch): the same bytes
    as :func:`write` of all the rows at once, given the same batches. Counts the rows, the bytes and
    their SHA-256 as it goes (``rows``, ``size``, ``sha256``)."""

    def __init__(self, out: BinaryIO, fmt: str, kind: str, columns: Sequence[str], encoding: str = "utf-8") -> None:
        if fmt not in ("jsonl", "csv", "xml", "parquet"):
            raise ExchangeError("exchange.format", f'Format "{fmt}" is not one of jsonl, csv, xml, parquet.',
                                field="format")
        self.fmt, self.kind, self.columns = fmt, kind, tuple(columns)
        self.encoding = encoding
        self.rows = 0
        self._out = _Counted(out)
        self._parquet: Any = None
        if fmt == "csv":
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerow(self.columns)
            self._out.write(text.getvalue().encode(encoding))  # (utf-8-sig: the mark once, here)
            self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        elif fmt == "xml":
            self._out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{XML_NAMES[kind][0]}>\n'.encode())

    @property
    def size(self) -> int:
        return self._out.size

    @property
    def sha256(self) -> str:
        return self._out.digest.hexdigest()

    def write(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """One batch of rows."""
        columns = self.columns
        cleaned = [[_clean(r.get(c)) for c in columns] for r in rows]
        self.rows += len(cleaned)
        if self.fmt == "jsonl":
            self._out.write("".join(json.dumps({c: v for c, v in zip(columns, r, strict=True) if v is not None},
                                               ensure_ascii=False, separators=(",", ":")) + "\n"
                                    for r in cleaned).encode("utf-8"))
        elif self.fmt == "csv":
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows([["" if v is None else v for v in r] for r in cleaned])
            self._out.write(text.getvalue().encode(self.encoding))
        elif self.fmt == "xml":
            record = XML_NAMES[self.kind][1]
            self._out.write("".join(
                f"  <{record}>"
                + "".join(f"<{c}>{escape(v)}</{c}>" for c, v in zip(columns, r, strict=True) if v is not None)
                + f"</{record}>\n" for r in cleaned).encode("utf-8"))
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({c: pa.array([r[i] for r in cleaned], type=pa.string()) for i, c in enumerate(columns)})
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._out, table.schema, compression="zstd", write_statistics=False)
            if cleaned or self.rows == 0:
                self._parquet.write_table(table, row_group_size=max(len(cleaned), 1))

    def close(self) -> None:
        """The file's end (an XML root's close, a Parquet footer); the data's size and hash are final."""
        if self.fmt == "xml":
            self._out.write(f"</{XML_NAMES[self.kind][0]}>\n".encode())
        elif self.fmt == "parquet":
            if self._parquet is None:
                self.write([])
            self._parquet.close()


class _Counted(io.RawIOBase):
    """A binary stream that passes what is written to ``out``, counting its bytes and hashing them (closing
    it leaves ``out`` open: the caller's)."""

    def __init__(self, out: BinaryIO) -> None:
        self._target = out
        self.size = 0
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._target.write(view)
        self.digest.update(view)
        self.size += len(view)
        return len(view)

    def tell(self) -> int:
        return self.size


def _malformed(fmt: str, why: str) -> ExchangeError:
    return ExchangeError("exchange.malformed", f"The {fmt} data file cannot be read: {why}.", field="files")


def read(fmt: str, kind: str, columns: Sequence[str], data: bytes, encoding: str = "utf-8") -> list[Row]:
    """The rows of a data file (each column a value or ``None``); ``exchange.malformed`` when the file is
    not what its format and columns say."""
    known = set(columns)
    rows: list[Row] = []
    if fmt == "jsonl":
        for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _malformed(fmt, f"line {number} is not JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or set(obj) - known or not all(isinstance(v, str) for v in obj.values()):
                raise _malformed(fmt, f"line {number} is not an object of the package's columns with text values")
            rows.append({c: _clean(obj.get(c)) for c in columns})
        return rows
    if fmt == "csv":
        reader = csv.reader(io.StringIO(data.decode(encoding), newline=""))
        header = next(reader, None)
        if header is None or tuple(header) != tuple(columns):
            raise _malformed(fmt, f"the header {header} is not the manifest's columns")
        for number, cells in enumerate(reader, 2):
            if len(cells) != len(columns):
                raise _malformed(fmt, f"line {number} has {len(cells)} cells, expected {len(columns)}")
            rows.append({c: _clean(v) for c, v in zip(columns, cells, strict=True)})
        return rows
    if fmt == "xml":
        root_name, record_name = XML_NAMES[kind]
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise _malformed(fmt, str(exc)) from None
        if root.tag != root_name:
            raise _malformed(fmt, f"the root element is <{root.tag}>, expected <{root_name}>")
        for number, node in enumerate(root, 1):
            children = {child.tag: child.text or "" for child in node}
            if node.tag != record_name or set(children) - known or len(children) != len(node):
                raise _malformed(fmt, f"record {number} is not a <{record_name}> of the package's columns")
            rows.append({c: _clean(children.get(c)) for c in columns})
        return rows
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError) as exc:
            raise _malformed(fmt, str(exc)) from None
        if tuple(table.column_names) != tuple(columns):
            raise _malformed(fmt, f"its columns {table.column_names} are not the manifest's")
        return [{c: _clean(r.get(c)) for c in columns} for r in table.to_pylist()]
    raise ExchangeError("exchange.format", f'Format "{fmt}" is not one of jsonl, csv, xml, parquet.', field="format")


def _problem(row: int, field: str, message: str) -> dict[str, Any]:
    """A row's problem for the receipt; a personal number a message quotes from the row is masked."""
    return {"row": row, "field": field, "code": "exchange.row", "message": shown_personal(message)}


class Rule(NamedTuple):
    """What one column of an organizations package must hold: its element's format, length and value list."""

    name: str
    element: elements.Element
    compiled: re.Pattern[str] | None
    limits: tuple[int, int] | None

    def fits(self, value: str) -> bool:
        """Whether a (present) value fits the element."""
        compiled, limits, element = self.compiled, self.limits, self.element
        return not ((compiled and not compiled.fullmatch(value)) or (limits and not limits[0] <= len(value) <= limits[1])
                    or (element.values and value not in element.values))


def column_problems(columns: Sequence[str]) -> list[dict[str, Any]]:
    """The one problem of an organizations package whose columns are not the data elements (with uscc)
    this node knows, or none."""
    unknown = [c for c in columns if c not in elements.BY_NAME]
    if unknown or "uscc" not in columns:
        return [_problem(0, ", ".join(unknown) or "uscc", "The package's columns are not the data elements "
                         "(with uscc) this node knows: the nodes' data element versions differ.")]
    return []


def organization_rules(columns: Sequence[str]) -> list[Rule]:
    """Each column's rule but the code's (every column an element: :func:`column_problems`), worked out
    once: a package has a million rows and the same few columns."""
    rules: list[Rule] = []
    for name in columns:
        if name != "uscc":
            element = elements.BY_NAME[name]
            pattern = element_schemas.value_pattern(element)
            rules.append(Rule(name, element, re.compile(pattern) if pattern else None,
                              element_schemas.length_limits(element)))
    return rules


def organization_problems(number: int, row: Row, rules: Sequence[Rule], earlier: bool) -> list[dict[str, Any]]:
    """The problems of one organization (row ``number``), in field order; ``earlier``: its code is in an
    earlier row of the package."""
    problems: list[dict[str, Any]] = []
    code = row.get("uscc") or ""
    if not uscc.is_valid(code):
        problems.append(_problem(number, "uscc", f'"{code}" is not a valid unified social credit code.'))
    elif uscc.compact(code) != code:  # a package carries codes as the library keeps them: one form each
        problems.append(_problem(number, "uscc", f'"{code}" is not in the form a package carries a code in: '
                                 f'expected "{uscc.compact(code)}" (18 characters, upper case, nothing around).'))
    elif earlier:
        problems.append(_problem(number, "uscc", f"{code} is in an earlier row of the package already."))
    for rule in rules:
        value = row.get(rule.name)
        if value is not None and not rule.fits(value):
            element = rule.element
            problems.append(_problem(number, rule.name, f'The {element.en} "{value[:60]}" does not fit the element '
                                     f"({element.format}{', a value of its list' if element.values else ''})."))
    return problems


def check_organizations(rows: Sequence[Row], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Each organization's problems (row numbers from 1): a code that is not valid or comes twice, a
    value that does not fit its element's format, length or value list, a column that is no element.
    Row by row: core/exchange/rows_bulk.py is the fast path, which gives the same problems."""
    problems = column_problems(columns)
    if problems:
        return problems
    rules = organization_rules(columns)
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        code = row.get("uscc") or ""
        problems += organization_problems(number, row, rules, code in seen)
        seen.add(code)
    return problems


def is_time(value: str) -> bool:
    """Whether a text is an ISO 8601 time (``Z`` for UTC as well)."""
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_credit(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Each credit record version's problems: a required column empty, a version that is no positive
    number, a time that is no ISO 8601 time, values that are no JSON object of texts, a version twice.
    Row by row: core/exchange/rows_bulk.py is the fast path, which gives the same problems."""
    problems: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(rows, 1):
        found, key = credit_problems(number, row, seen)
        problems += found
        if key is not None:
            seen.add(key)
    return problems


def credit_problems(number: int, row: Row, seen: Container[tuple[str, str]]
                    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """The problems of one credit record version (row ``number``), and its key (id, version) — ``None``
    for a row without what a version needs, which is not compared with others; ``seen``: the keys of
    the earlier rows."""
    problems: list[dict[str, Any]] = []
    withdrawal = not row.get("values")
    if withdrawal and any(row.get(c) for c in CREDIT_COLUMNS if c not in WITHDRAWAL):
        return [_problem(number, "values", "A row without values (a withdrawal) holds only id, version, action, "
                         "status and at.")], None
    missing = sorted(c for c in (WITHDRAWAL if withdrawal else CREDIT_REQUIRED) if not row.get(c))
    if missing:
        return [_problem(number, missing[0], f"The record has no {', '.join(missing)}.")], None
    version = str(row["version"])
    if not version.isascii() or not version.isdigit() or int(version) < 1:
        problems.append(_problem(number, "version", f'Version "{version}" is not a positive whole number.'))
    for name in ("at",) if withdrawal else ("at", "received"):
        if not is_time(str(row[name])):
            problems.append(_problem(number, name, f'"{row[name]}" is not an ISO 8601 time.'))
    try:
        values = {} if withdrawal else json.loads(str(row["values"]))
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        problems.append(_problem(number, "values", "The values are not a JSON object of texts."))
    problems += field_problems(number, row, withdrawal)
    key = (str(row["id"]), version)
    if key in seen:
        problems.append(_problem(number, "version", f"Version {version} of record {row['id']} is in an earlier "
                                 "row already."))
    return problems, key


#: A stored version's status and what made it, as every node writes them.
CREDIT_STATUSES = ("in_force", "revoked")
CREDIT_ACTIONS = ("created", "updated", "corrected", "revoked")


@functools.lru_cache(maxsize=1 << 12)
def _is_day(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


@functools.lru_cache(maxsize=1 << 12)
def _personal(value: str) -> bool:
    return personal_in(value)


def field_problems(number: int, row: Row, withdrawal: bool) -> list[dict[str, Any]]:
    """A version's fields as every node writes them — what the receiver keeps and shows as it is given:
    a status and an action of their lists, an id and a provider holding no personal number; and, but for
    a withdrawal, a severity of its list, ISO dates, an item's directory code, and the subject
    (:func:`subject_problems`). A date that is none, or a person's number in a field kept in clear,
    would break or leak on the receiver."""
    problems: list[dict[str, Any]] = []
    for name, allowed in (("status", CREDIT_STATUSES), ("action", CREDIT_ACTIONS)):
        if row.get(name) not in allowed:
            problems.append(_problem(number, name, f'The {name} "{str(row.get(name))[:40]}" is not one of '
                                     f'{", ".join(allowed)}.'))
    for name in ("id",) if withdrawal else ("id", "provider"):
        if _personal(str(row.get(name) or "")):
            problems.append(_problem(number, name, f'The {name} "{str(row[name])[:60]}" holds a personal number, '
                                     "which no node keeps in clear."))
    if withdrawal:
        return problems
    severity = row.get("severity")
    if severity and severity not in SEVERITIES:
        problems.append(_problem(number, "severity", f'The severity "{severity[:40]}" is not one of '
                                 f'{", ".join(SEVERITIES)}.'))
    for name in ("decided_on", "valid_until", "revoked_on"):
        value = row.get(name)
        if value and not _is_day(value):
            problems.append(_problem(number, name, f'The {name} "{value[:40]}" is not a date (YYYY-MM-DD).'))
    if not CODE_PATTERN.fullmatch(str(row["item"])):
        problems.append(_problem(number, "item", f'The item "{str(row["item"])[:80]}" is not a directory code.'))
    return problems + subject_problems(number, row)


def subject_problems(number: int, row: Row) -> list[dict[str, Any]]:
    """A record's subject as every node keeps it: a natural person by the keyed hash alone (``subject_key``
    ``P:`` and 40 hex digits) and never by a code; an organization or individual business under its code
    (``subject_key`` = ``subject_code``). Anything else would keep a person's number in clear, or file a
    record where no reader finds it."""
    kind, key, code = str(row["subject_type"]), str(row["subject_key"]), row.get("subject_code") or ""
    if kind not in SUBJECT_TYPES:
        return [_problem(number, "subject_type", f'Subject type "{kind[:40]}" is not one of '
                         f'{", ".join(SUBJECT_TYPES)}.')]
    if kind == "natural_person":
        if code or not persons.is_subject_key(key):
            return [_problem(number, "subject_key", "A natural person's record names the person by the keyed hash "
                             "alone (subject_key P: and 40 hex digits) and has no subject_code; this row would keep "
                             "a personal number in clear.")]
    elif key != code:
        return [_problem(number, "subject_key", f"An {kind}'s record is kept under its code: subject_key "
                         f'"{key[:40]}" is not its subject_code "{code[:40]}".')]
    return []


def code_is_identity(number: int, code: str) -> dict[str, Any]:
    """The problem of an organization's code that is a resident identity number (or holds a personal number,
    however written) this node's library does not know: a natural person's record given as an
    organization's, which would be published in clear."""
    return _problem(number, "subject_code", f"Subject code {code[:60]} is a resident identity number or holds a "
                    "personal number, and no organization of this code is in this node's basic resource library: a "
                    "natural person's record is kept by the keyed hash alone (subject_type natural_person), never "
                    "under a code.")


def xsd(kind: str) -> str:
    """The XML Schema a package's XML data file is valid against: for organizations the generated schema
    of one ``<organization>`` (core/library/element_schemas.py) with the root ``<organizations>``; for
    credit records ``<credit_records>`` of ``<credit_record>``, one child per column."""
    if kind == "organizations":
        root = ('  <xs:element name="organizations">\n    <xs:complexType>\n      <xs:sequence>\n'
                '        <xs:element ref="organization" minOccurs="0" maxOccurs="unbounded"/>\n'
                "      </xs:sequence>\n    </xs:complexType>\n  </xs:element>\n")
        text = element_schemas.xsd()
        return text.replace("</xs:schema>\n", root + "</xs:schema>\n")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             "<!-- Generated from jjjcredit.core.exchange.rows; do not edit. -->",
             '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="unqualified">',
             '  <xs:element name="credit_records">', "    <xs:complexType>", "      <xs:sequence>",
             '        <xs:element name="credit_record" minOccurs="0" maxOccurs="unbounded">',
             "          <xs:complexType>", "            <xs:sequence>"]
    for column in CREDIT_COLUMNS:
        least = 1 if column in WITHDRAWAL else 0  # a withdrawal has only these; check_credit says the rest
        kind_of = "xs:positiveInteger" if column == "version" else "xs:string"
        lines.append(f'              <xs:element name="{column}" type="{kind_of}" minOccurs="{least}" maxOccurs="1"/>')
    lines += ["            </xs:sequence>", "          </xs:complexType>", "        </xs:element>",
              "      </xs:sequence>", "    </xs:complexType>", "  </xs:element>", "</xs:schema>"]
    return "\n".join(lines) + "\n"
