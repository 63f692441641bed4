"""Credit records checked against their catalogue item: a file's header bound to the item's layout,
then each row either a :class:`Record` or the reasons it is refused. Pure; the database work
(identity, versions, unknown organizations, personal numbers sealed) is services/credit/records.py.

The checks, per field by its column's kind (core/credit/columns.py): required values, lengths, value
lists (subject, penalty and licence categories, licence status, severity), dates that exist and are
not in the future (valid-until may be), valid-until on or after decided-on, amounts in 万元, the
subject's and the issuing authority's unified social credit codes, the subject's identity number.
A row's identity is item + provider + document number (决定书文号 / 许可编号; for items without one,
the fields the item names as its key).

>>> from jjjcredit.core.credit import catalogue
>>> item = catalogue.default_item("JJJ-03-001")
>>> layout = bind(item, list(SAMPLE_PENALTY), "x.csv")
>>> checked = check_row(layout, list(SAMPLE_PENALTY.values()), 2, datetime.date(2026, 6, 1))
>>> checked.record.subject_type, checked.record.severity, checked.record.decided_on
('organization', 'general', datetime.date(2026, 5, 20))
>>> bad = dict(SAMPLE_PENALTY, 处罚决定日期="2026-02-30")
>>> [p.code for p in check_row(layout, list(bad.values()), 3, datetime.date(2026, 6, 1)).problems]
['record.date']
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import (
    NUMBER_RUN,
    is_identity_number,
    mobile_in,
    personal_in,
    shown_numbers,
    shown_personal,
)
from jjjcredit.core.credit import catalogue, columns, periods
from jjjcredit.core.errors import Error, Severity
from jjjcredit.core.library import transforms
from jjjcredit.core.library.records import Problem, mask_personal

WARNING = Severity.WARNING
#: Open-ended licences are written with this valid-until (domain.md §7.1).
OPEN_ENDED = datetime.date(2099, 12, 31)
#: The column of the end of publication a provider states (公示截止期; core/sharing/disclosure.public_until).
STATED_UNTIL = "CF_GSJZQ"
_MAX_AMOUNT = decimal.Decimal("1e18")  #: decimal(24,6): 18 digits before the point
_SHOWN = 60  #: characters of a value a problem shows
#: Control characters and the invisible ones that change how text shows (bidirectional overrides, zero
#: widths, line and paragraph separators): refused in any text value.
UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\ufeff]")
#: :data:`UNSEEN` less the line break a prose value keeps (:attr:`columns.Column.multiline`).
_UNSEEN_IN_PROSE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\ufeff]")
_LINE_END = re.compile("\r\n?")
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "［": "(", "］": ")", "[": "(", "]": ")", "【": "(", "】": ")",
                           "（": "(", "）": ")", "﹝": "(", "﹞": ")", "〈": "(", "〉": ")"})
_SPACE = re.compile(r"\s+")

#: A realistic penalty row, as a provider's sheet has it (national column names).
SAMPLE_PENALTY: dict[str, str] = {
    "行政相对人名称": "石家庄市云帆商贸有限公司", "行政相对人类别": "法人及非法人组织",
    "统一社会信用代码": "91130102MA4CL12T22", "法定代表人": "王建国", "证件类型": "", "证件号码": "",
    "行政处罚决定书文号": "石市监罚〔2026〕118号", "违法行为类型": "销售不合格产品",
    "违法事实": "当事人销售的电热水壶经抽检不合格。", "处罚依据": "《中华人民共和国产品质量法》第四十九条",
    "处罚类别": "警告；罚款", "处罚内容": "警告，罚款人民币2万元", "罚款金额（万元）": "2",
    "处罚决定日期": "2026-05-20", "处罚有效期": "2027-05-19", "公示截止期": "", "处罚机关": "石家庄市市场监督管理局",
    "处罚机关统一社会信用代码": "11130100MABJ1XG604", "数据来源单位": "石家庄市市场监督管理局",
    "数据来源单位统一社会信用代码": "11130100MABJ1XG604", "失信严重程度": "一般", "备注": "",
}


class RecordsError(Error):
    """A credit records step refused before any row; ``code`` is one of ``credit.*`` (docs/errors.md)."""


@dataclass(frozen=True)
class Bound:
    """A file column bound to a field of the item's layout."""

    index: int
    header: str
    field: catalogue.Field
    column: columns.Column


@dataclass(frozen=True)
class Layout:  # (cached properties need a __dict__: no slots)
    """A file's header bound to an item: which column holds which field; headers not in the layout."""

    item: catalogue.Item
    bound: tuple[Bound, ...]
    ignored: tuple[str, ...]
    width: int

    def columns_by_role(self, role: str) -> tuple[Bound, ...]:
        return self._roles.get(role, ())

    @functools.cached_property
    def _roles(self) -> dict[str, tuple[Bound, ...]]:
        roles: dict[str, list[Bound]] = {}
        for b in self.bound:
            roles.setdefault(b.column.role, []).append(b)
        return {k: tuple(v) for k, v in roles.items()}

    @functools.cached_property
    def plan(self) -> tuple[tuple[Bound, int, str, int | None, str], ...]:
        """Per bound column: (bound, index, kind, length limit, role) — what check_row reads per cell.
        Only free text and identity numbers have a length to check; a code, a date, an amount or a word
        from a value list is judged by its kind (a licence status 撤销 is stored as its one-digit code)."""
        return tuple((b, b.index, b.column.kind, (b.field.max_length or b.column.max_length)
                      if b.column.kind in ("text", "identity_number") else None, b.column.role) for b in self.bound)

    @functools.cached_property
    def legal_reps(self) -> tuple[Bound, ...]:
        return tuple(b for b in self.bound if b.field.element.endswith("_FRDB"))


def values_json(values: Mapping[str, Any]) -> str:
    """A record's values as stored (``data``) and fingerprinted: JSON, keys sorted, not ASCII-escaped. The
    fast path (core/credit/records_bulk._texts_of) writes the same text a column at a time."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def masked_data(data: str) -> str:
    """Values as stored (:func:`values_json`) with any personal number in their text masked, as the ingest
    keeps them; the same text when there is none, which is nearly always.

    >>> masked_data('{"CF_SY": "电话 13812345678", "CF_WSH": "京罚〔2026〕1号"}')
    '{"CF_SY": "电话 138****5678", "CF_WSH": "京罚〔2026〕1号"}'
    """
    if NUMBER_RUN.search(data) is None:
        return data
    return values_json({k: shown_personal(v) if isinstance(v, str) else v for k, v in json.loads(data).items()})


json_text: Callable[[str], str] = json.encoder.encode_basestring  #: a JSON string, as json.dumps writes it


@dataclass(frozen=True)
class Record:
    """One accepted row: its identity (``key``), its subject, dates and severity, and its values by
    column code. ``values`` holds no personal number: those are in ``personal`` (for the service to
    seal) and shown masked in ``values``."""

    row: int
    key: str
    subject_type: str
    subject_name: str
    subject_code: str | None
    identity_number: str | None
    severity: str | None
    decided_on: datetime.date | None
    valid_until: datetime.date | None
    values: dict[str, str]
    personal: dict[str, str] = field(default_factory=dict)
    #: :meth:`values_text` when it was written already (the fast path writes it a column at a time).
    text: str | None = field(default=None, compare=False, repr=False)

    def values_text(self) -> str:
        """The values as stored: JSON, keys sorted (:func:`values_json`)."""
        return self.text if self.text is not None else values_json(self.values)

    def fingerprint(self, values_text: str | None = None) -> str:
        """What decides whether a resubmission changes the record: its values and personal numbers
        (``values_text``: :meth:`values_text`, when it was made already)."""
        return fingerprint_of(values_text or self.values_text(), self.severity, self.personal)


def fingerprint_of(values_text: str, severity: str | None, personal: Mapping[str, str] | None = None) -> str:
    """A record's fingerprint (:meth:`Record.fingerprint`) from its values as stored, its severity and its
    personal numbers."""
    body = values_text + "\x1f" + (severity or "")
    if personal:
        body += "\x1f" + json.dumps(personal, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Checked:
    """A row's outcome: a record (possibly with warnings), or problems that refuse it."""

    row: int
    record: Record | None
    problems: tuple[Problem, ...]


def _named(item: catalogue.Item) -> dict[str, catalogue.Field]:
    """Every header (as :func:`columns.header_key` reads it) that names one of ``item``'s fields: its own
    names and the national codes and names first, the common aliases after."""
    spellings: dict[str, catalogue.Field] = {}
    for f in item.fields:
        column = columns.COLUMNS.get(f.element) or columns.Column(f.element, f.name, max_length=f.max_length)
        for s in (f.name, f.element, column.name):
            spellings.setdefault(columns.header_key(s), f)
    for f in item.fields:
        national = columns.COLUMNS.get(f.element)
        for s in national.aliases if national else ():
            spellings.setdefault(columns.header_key(s), f)
    return spellings


def field_named(item: catalogue.Item, text: str) -> catalogue.Field | None:
    """The field of ``item`` that ``text`` names as a file's header would (its name, column code, national
    name or a common alias; full-width or half-width brackets and spaces alike), or ``None``."""
    return _named(item).get(columns.header_key(text))


def _spellings(item: catalogue.Item, own: Mapping[str, str] | None, name: str) -> dict[str, catalogue.Field]:
    """Every header that names one of ``item``'s fields (:func:`_named`), and the provider's own words."""
    spellings = _named(item)
    for mine, f in check_mapping(item, own or {}, name).items():
        spellings[columns.header_key(mine)] = f  # the provider's word wins
    return spellings


def fields_not_named(item: catalogue.Item, header: Sequence[str], own: Mapping[str, str] | None = None,
                     name: str = "") -> list[str]:
    """The names of ``item``'s optional fields that no header of ``header`` names (:func:`bind`'s
    spellings): the columns a file of named values (JSON Lines, XML) may give only in a later record (a
    required field missing from the first records is the file's layout error, said once)."""
    spellings = _spellings(item, own, name)
    named = {spellings[k].element for k in map(columns.header_key, header) if k in spellings}
    return [f.name for f in item.fields if f.element not in named and not f.required]


def bind(item: catalogue.Item, header: Sequence[str], name: str, own: Mapping[str, str] | None = None) -> Layout:
    """Bind a file's header to ``item``'s layout: a header names a field by the item's own name for
    it, the national column code, the national name, or a common alias — or as the provider's own
    mapping ``own`` says (its header → a field's name or column code). Raises :class:`RecordsError`
    (``credit.layout``) naming every required field without a column, a field named twice, or a
    mapping to a field the item does not have."""
    if item.kind == "basic":
        raise RecordsError("credit.basic_item", f"{item.code} ({item.name}) is registration information: it is "
                           "kept in the basic resource library and submitted as department record files "
                           "(jjjcredit library ingest), not as credit records.", field="item")
    if not item.fields:
        raise RecordsError("credit.layout", f"{item.code} ({item.name}) has no record layout in the catalogue; "
                           "a layout must be added to the item before records are submitted.", field="item")
    spellings = _spellings(item, own, name)
    bound: list[Bound] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(header):
        found = spellings.get(columns.header_key(text))
        if found is None:
            ignored.append(text)
            continue
        f = found
        if f.element in seen:
            raise RecordsError("credit.layout", shown_personal(f'{name}: columns "{seen[f.element]}" and "{text}" '
                               f'both hold {f.name} ({f.element}); keep one.'), field=shown_personal(text))
        seen[f.element] = text
        known = columns.COLUMNS.get(f.element) or columns.Column(f.element, f.name, max_length=f.max_length)
        bound.append(Bound(index, text, f, known))
    missing = [f for f in item.fields if f.required and f.element not in seen]
    if missing:
        unknown = [t for t in ignored if t.strip()]
        read = (f" The header read has {len(header)} columns; not recognised: "
                f"{'、'.join(f'“{t[:40]}”' for t in unknown[:12])}{' …' if len(unknown) > 12 else ''}."
                if unknown else f" The header read has {len(header)} columns, none of them unrecognised.")
        raise RecordsError("credit.layout", shown_personal(
            f"{name}: the header has no column for {'、'.join(f'{f.name} ({f.element})' for f in missing)}, required "
            f"by {item.code} ({item.name}); expected the national column names (docs/credit.md) or the codes.{read}"
            f"{OWN_HEADERS if unknown else ''}"),
            field=missing[0].name)
    if not any(b.column.role == "document_number" for b in bound):
        raise RecordsError("credit.layout", shown_personal(name) + ": no column holds the document number that "
                           f"identifies a record of {item.code}; expected one of "
                           f"{'、'.join(f.name for f in item.fields if _role(f) == 'document_number')}.")
    return Layout(item, tuple(bound), tuple(ignored), len(header))


#: How a provider maps headers of its own, said where a file's header names no required field.
OWN_HEADERS = (" Headers of your own are mapped to the item's fields by a header mapping: `credit ingest --columns "
               "MAPPING.yaml` (lines `处罚文号: 行政处罚决定书文号`) on the command line, `columns=处罚文号=行政处罚决定书文号` "
               "(once per header) in the API's query.")


def check_mapping(item: catalogue.Item, own: Mapping[str, str], name: str) -> dict[str, catalogue.Field]:
    """A provider's header mapping (its header → a field's name or column code) as fields; refused
    (``credit.layout``) when it names a field the item does not have."""
    named = _named(item) if own else {}
    fields: dict[str, catalogue.Field] = {}
    for mine, target in own.items():
        found = named.get(columns.header_key(target))
        if found is None:
            raise RecordsError("credit.layout", shown_personal(
                f'{name}: the mapping sends "{mine}" to "{target}", which is not a field of {item.code}; expected '
                f"one of {'、'.join(f.name for f in item.fields)} (or their column codes)."), field=shown_personal(mine))
        fields[mine] = found
    return fields


def _role(f: catalogue.Field) -> str:
    column = columns.COLUMNS.get(f.element)
    return column.role if column else ""


def _shown(column: columns.Column, value: str) -> str:
    text = mask_personal(value) if column.personal else shown_personal(value)  # masked before it is cut
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


class _Row:
    """The problems of one row as they are found."""

    def __init__(self, row: int) -> None:
        self.row = row
        self.problems: list[Problem] = []

    def add(self, b: Bound | None, code: str, message: str, value: str = "", warning: bool = False) -> None:
        shown = shown_personal(_shown(b.column, value) if b is not None else value)
        self.problems.append(Problem(self.row, b.header if b else "", code, shown_personal(message), shown,
                                     WARNING if warning else Severity.ERROR))

    @property
    def refused(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)


def _quoted(value: str) -> str:
    """A value as a message quotes it (as Python writes a string: an unprintable character escaped), any
    personal number in it masked first — an escape would hide the separator it was written with."""
    return repr(shown_personal(value))


#: The earliest date a credit record holds: no decision, licence or list entry under the catalogue is older.
EARLIEST = datetime.date(1949, 10, 1)


@functools.lru_cache(maxsize=1 << 14)
def parse_date(value: str) -> datetime.date | str:
    """A date cell → the date, or the reason it is none (cached: a file holds few distinct dates).

    >>> parse_date("2026年4月25日")
    datetime.date(2026, 4, 25)
    >>> print(parse_date("1800-01-01"))
    "1800-01-01" is before 1949-10-01: no record under the catalogue is that old; check the year.
    """
    try:
        text = transforms.date(value)
    except transforms.TransformError as exc:
        return str(exc)
    day = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if day < EARLIEST:
        return (f"{transforms.quote(value)} is before {EARLIEST.isoformat()}: no record under the catalogue is that "
                "old; check the year.")
    return day


@functools.lru_cache(maxsize=1 << 16)
def parse_uscc(value: str) -> tuple[str | None, str]:
    """A code cell → (the valid code, "") or (None, why not) (cached: authorities' codes repeat)."""
    try:
        return uscc.validate(uscc.compact(value)), ""
    except Error as exc:
        return None, str(exc)


def _date(b: Bound, value: str, r: _Row, today: datetime.date, future_ok: bool) -> datetime.date | None:
    day = parse_date(value)
    if isinstance(day, str):
        r.add(b, "record.date", f"{b.header}: {day}", value)
        return None
    if not future_ok and day > today:
        r.add(b, "credit.future_date", f"{b.header}: {day.isoformat()} is after today ({today.isoformat()}); a "
              "decision is submitted once it has been made. Check the year.", value)
    return day


#: An amount as people write it: digits, or digits grouped by thousands with commas, and decimals.
_AMOUNT = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?:\.[0-9]+)?")


def amount_value(value: str) -> str | None:
    """An amount of 万元 as stored (``2``, ``0.35``), or ``None`` when it is none: not a number written
    plainly (full-width digits are read; a comma only between groups of three digits, so ``1,23`` is no
    amount; no exponent), 10^18 or more, more than 6 decimals.

    >>> amount_value("1,234.50"), amount_value("４．０５"), amount_value("1,23"), amount_value("1e3")
    ('1234.5', '4.05', None, None)
    """
    text = value.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).strip()
    if not _AMOUNT.fullmatch(text) or not any(c.isdigit() for c in text):
        return None
    try:
        number = decimal.Decimal(text.replace(",", ""))
    except decimal.InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number >= _MAX_AMOUNT or number.as_tuple().exponent < -6:  # type: ignore[operator]
        return None
    return format(number.normalize(), "f")


def _amount(b: Bound, value: str, r: _Row) -> str | None:
    checked = amount_value(value)
    if checked is not None and personal_in(value):  # (an identity number is a number below 10^18)
        r.add(b, "record.amount", f"{b.header}: {shown_personal(value)} is a personal number (a resident identity "
              "or mobile number), not an amount of 万元; it was not kept. Expected the fine, such as 2 or 0.35.", value)
        return None
    if checked is None:
        r.add(b, "record.amount", f"{b.header}: {_quoted(value)} is not an amount of 万元: expected a number of 0 or more, "
              "below 10^18, with at most 6 decimals, such as 2, 0.35 or 1,234.5 (a comma only between groups of three "
              "digits).", value)
    return checked


def _uscc(b: Bound, value: str, r: _Row, code: str) -> str | None:
    compact = uscc.compact(value)
    if b.column.max_length == 20 and len(compact) in (15, 17, 20) and compact.isalnum():
        return compact  # a taxpayer number of the older kinds
    valid, why = parse_uscc(compact)
    if valid is None:
        if ric.is_valid(compact):
            why = "This is shaped like a resident identity number, not a unified social credit code; a natural "
            why += "person's number belongs in 证件号码."
        r.add(b, code, f"{b.header}: {why} Expected a valid unified social credit code (GB 32100).", value)
    elif b.column.role != "subject_code" and is_identity_number(valid):  # (the subject's: the library decides)
        r.add(b, "credit.code_is_identity", f"{b.header}: {shown_personal(valid)} is a resident identity number, not "
              "an authority's code; it was not kept. Expected the unified social credit code of the authority (or of "
              "the data source) this column names.", value)
        return None
    return valid


#: A number as a spreadsheet shows one too long for it (``1.30104E+17``): its last digits are lost.
_EXPONENT = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")


def _identity(b: Bound, value: str, kind: str, r: _Row) -> str | None:
    if _EXPONENT.fullmatch(value):
        r.add(b, "credit.identity_number", f"{b.header}: the number was kept by the spreadsheet as a number (in "
              "exponent form), which holds 15 digits only: its last digits are lost and cannot be read back. Format "
              "the column as text (or type ' before the number), enter the numbers again and send the row.", value)
        return None
    compact = ric.compact(value)
    if kind not in columns.RESIDENT_CARD:  # a passport or another card: kept as written, not checked as one
        return compact
    try:
        return ric.validate(compact)
    except Error as exc:
        r.add(b, "credit.identity_number", f"{b.header}: {exc.message} Expected a resident identity number "
              "(GB 11643) when the card type is the identity card.", value)
        return None


def check_row(layout: Layout, cells: Sequence[str], row: int, today: datetime.date) -> Checked:
    """Check one row (``cells`` in the file's column order; ``row`` as the user numbers it)."""
    r = _Row(row)
    item = layout.item
    values: dict[str, str] = {}
    personal: dict[str, str] = {}
    by_role: dict[str, tuple[Bound, str]] = {}
    dates: dict[str, datetime.date] = {}
    given: set[str] = set()  # the roles whose cell is not empty (checked or not)
    width = len(cells)
    for b, index, kind, limit, role in layout.plan:
        value = cells[index].strip() if index < width else ""
        if not value:
            if b.field.required:
                r.add(b, "record.required", f"{b.header} ({b.field.element}) is required by {item.code} and is empty.")
            continue
        if role:
            given.add(role)
        if "\r" in value and b.column.multiline:  # a line break as Windows writes it is one, \n
            value = _LINE_END.sub("\n", value)
        if limit is not None and len(value) > limit:
            r.add(b, "record.length", f"{b.header}: {len(value)} characters, at most {limit} allowed.", value)
            continue
        if kind == "text":
            unseen = (_UNSEEN_IN_PROSE if b.column.multiline else UNSEEN).search(value)
            if unseen:
                found = unseen.group()
                what = (f"a line break (U+{ord(found):04X}); {b.header} is one line (a name, a number or a code): "
                        "remove the break (in a spreadsheet, a cell's Alt+Enter)" if found in "\r\n" else
                        f"a control or invisible character (U+{ord(found):04X}); expected plain text: retype the "
                        "value or remove the character")
                r.add(b, "credit.control_characters", f"{b.header}: holds {what}.",
                      UNSEEN.sub("?", shown_personal(value)))
                continue
            masked = shown_numbers(value)
            if masked != value and role == "document_number":  # it names the record: neither kept nor masked
                r.add(b, "credit.identity_in_document_number", f"{b.header}: holds what looks like a resident "
                      "identity number; the document number identifies the record and is published with it, so it "
                      "never holds one (masked, two numbers would name one record); expected the decision's or "
                      "licence's own number.", masked)
                continue
            if masked != value:  # an identity number typed into text is never kept in clear
                r.add(b, "credit.identity_in_text", f"{b.header}: holds what looks like a resident identity number; "
                      "it is kept masked (a natural person's number belongs in 证件号码).", masked, warning=True)
                value = masked
            if role != "document_number" and mobile_in(value):  # (a document number is an identifier)
                value = shown_personal(value)
                r.add(b, "credit.phone_in_text", f"{b.header}: holds what looks like a mobile phone number; it is "
                      "kept masked (a person's phone number is personal data, not part of a public record).",
                      value, warning=True)
            values[b.field.element] = value
            if role:
                by_role.setdefault(role, (b, value))
            continue
        if kind == "date":
            day = _date(b, value, r, today, future_ok=b.column.role in ("valid_until", "valid_from")
                        or b.field.element == STATED_UNTIL)
            if day is None:
                continue
            dates[b.column.role or b.field.element] = day
            value = day.isoformat()
        elif kind == "amount":
            amount = _amount(b, value, r)
            if amount is None:
                continue
            value = amount
        elif kind == "uscc":
            code = _uscc(b, value, r, "credit.subject_code" if b.column.role == "subject_code" else "credit.authority_code")
            if code is None:
                continue
            value = code
        elif kind == "identity_number":
            by_role.setdefault("_identity_raw_" + b.field.element, (b, value))
            continue
        elif kind == "subject_category":
            if value not in columns.SUBJECT_CATEGORIES:
                r.add(b, "record.value", f"{b.header}: {_quoted(value)} is not a subject category; expected "
                      f"{' / '.join(('法人及非法人组织', '自然人', '个体工商户'))}.", value)
                continue
        elif kind == "penalty_category":
            unknown = [c for c in columns.penalty_categories(value) if c not in columns.PENALTY_CATEGORIES]
            if unknown:
                r.add(b, "record.value", f"{b.header}: {'、'.join(unknown)} is not a penalty category of the "
                      "Administrative Penalty Law (Art. 9); expected 警告、通报批评、罚款、没收违法所得、没收非法财物、"
                      "暂扣许可证件、降低资质等级、吊销许可证件、限制开展生产经营活动、责令停产停业、责令关闭、限制从业、行政拘留 or 其他.",
                      value)
                continue
        elif kind == "licence_category":
            if value not in columns.LICENCE_CATEGORIES:
                r.add(b, "record.value", f"{b.header}: {_quoted(value)} is not a licence category; expected "
                      f"{' / '.join(columns.LICENCE_CATEGORIES)}.", value)
                continue
        elif kind == "licence_status":
            words = columns.LICENCE_STATUS_CODES
            if value not in columns.LICENCE_STATUSES and value not in words:
                r.add(b, "record.value", f"{b.header}: {_quoted(value)} is not a licence status; expected 0 正常, 1 撤销, "
                      "2 异议 or 3 其他.", value)
                continue
            value = words.get(value, value)
        elif kind == "severity":
            severity = columns.SEVERITY_WORDS.get(value.casefold() if value.isascii() else value)
            if severity is None:
                r.add(b, "record.value", f"{b.header}: {_quoted(value)} is not a severity class; expected 轻微, 一般 or 严重.",
                      value)
                continue
            if item.severities and severity not in item.severities:
                r.add(b, "credit.severity", f"{b.header}: {item.code} ({item.name}) allows "
                      f"{'、'.join(item.severities)}, not {severity}.", value)
                continue
            value = severity
        elif kind == "year":
            if not (len(value) == 4 and value.isdigit() and 1990 <= int(value) <= today.year):
                r.add(b, "record.value", f"{b.header}: {_quoted(value)} is not a year from 1990 to {today.year}.", value)
                continue
        elif kind == "tax_level":
            if value.upper() not in columns.TAX_LEVELS:
                r.add(b, "record.value", f"{b.header}: {_quoted(value)} is not a tax credit level; expected "
                      f"{' / '.join(columns.TAX_LEVELS)}.", value)
                continue
            value = value.upper()
        values[b.field.element] = value
        if b.column.role:
            by_role.setdefault(b.column.role, (b, value))
    # identity numbers: checked against the card type; kept apart, shown masked
    card = by_role.get("identity_type", (None, ""))[1]
    for key, (b, value) in list(by_role.items()):
        if key.startswith("_identity_raw_"):
            number = _identity(b, value, card if b.column.role == "identity_number" else "", r)
            if number is not None:
                personal[b.field.element] = number
                values[b.field.element] = mask_personal(number)
                if b.column.role == "identity_number":
                    by_role["identity_number"] = (b, number)
    subject_type = _subject_type(layout, by_role, given, r)
    severity = by_role["severity"][1] if "severity" in by_role else None
    if item.kind == "negative" and severity is None:
        if len(item.severities) == 1:
            severity = item.severities[0]
        elif item.severities:
            r.add(None, "record.required", f"失信严重程度 (XY_YZCD) is required by {item.code}: the item allows "
                  f"{'、'.join(item.severities)} and the row does not say which.")
    _rules(layout, by_role, given, dates, r)
    _stated_period(layout, severity, dates, r)
    if subject_type and subject_type not in item.subject_types:
        r.add(by_role.get("subject_category", (None, ""))[0], "credit.subject_type",
              f"{item.code} ({item.name}) covers {'、'.join(item.subject_types)}, not {subject_type}.")
    if subject_type == "organization":
        for b in layout.legal_reps:
            if b.field.element not in values:
                r.add(b, "record.required", f"{b.header} ({b.field.element}) is required for an organization "
                      "(法人及非法人组织) and is empty.")
    key = _key(layout, values, by_role)
    if r.refused or subject_type is None:
        return Checked(row, None, tuple(r.problems))
    record = Record(row, key, subject_type, by_role.get("subject_name", (None, ""))[1],
                    by_role["subject_code"][1] if "subject_code" in by_role else None,
                    by_role["identity_number"][1] if "identity_number" in by_role else None,
                    severity, dates.get("decided_on"), dates.get("valid_until"), values, personal)
    return Checked(row, record, tuple(r.problems))


# --- values kept under an earlier edition's longer limits ---------------------------------------------

#: The limit of a field no earlier edition bounded (the file's cell limit bounds it all the same).
_UNBOUNDED = 1 << 62


def text_limit(f: catalogue.Field) -> int | None:
    """The length limit of a free-text field (the item's own, else its column's); ``None`` for a field of
    another kind, or one without a limit — as :attr:`Layout.plan` reads it."""
    column = columns.COLUMNS.get(f.element)
    if column is not None and column.kind != "text":
        return None
    return f.max_length or (column.max_length if column is not None else None)


def longer_limits(item: catalogue.Item, earlier: Sequence[catalogue.Item]) -> dict[str, int]:
    """The free-text fields of ``item`` whose values a definition of it in ``earlier`` (editions published
    before) allowed longer: element → the longest limit any of them set. A record kept under such a limit
    keeps its value while it is sent unchanged (:func:`check_kept`).

    >>> now = catalogue.default_item("JJJ-03-001")
    >>> shortened = dataclasses.replace(now, fields=tuple(dataclasses.replace(f, max_length=64)
    ...                                 if f.element == "CF_WSH" else f for f in now.fields))
    >>> longer_limits(shortened, [now]), longer_limits(now, [shortened])
    ({'CF_WSH': 128}, {})
    """
    limits: dict[str, int] = {}
    for f in item.fields:
        limit = text_limit(f)
        if limit is None:
            continue
        for then in (g for i in earlier for g in i.fields if g.element == f.element):
            longer = text_limit(then) or _UNBOUNDED
            if longer > max(limit, limits.get(f.element, 0)):
                limits[f.element] = longer
    return limits


def with_limits(layout: Layout, limits: Mapping[str, int]) -> Layout:
    """``layout`` with the length limits of the fields ``limits`` names (element → limit) set to those."""
    def raised(f: catalogue.Field) -> catalogue.Field:
        return dataclasses.replace(f, max_length=limits[f.element]) if f.element in limits else f
    item = dataclasses.replace(layout.item, fields=tuple(map(raised, layout.item.fields)))
    bound = tuple(dataclasses.replace(b, field=raised(b.field)) for b in layout.bound)
    return dataclasses.replace(layout, item=item, bound=bound)


@dataclass(frozen=True)
class Kept:
    """A free-text value (of the field ``element``, under ``header``) of ``length`` characters, longer than the
    ``limit`` the edition in force sets: kept only by a record that holds it already."""

    element: str
    header: str
    length: int
    limit: int

    def warning(self, row: int, value: str) -> Problem:
        """What a row that sent the value its record holds is told (``credit.length_kept``)."""
        return Problem(row, self.header, "credit.length_kept", f"{self.header}: {self.length} characters, more than "
                       f"the {self.limit} the catalogue edition in force allows; the record holds this value as an "
                       "earlier edition allowed it, and keeps it: sent unchanged, it is not judged again (a changed "
                       f"value fits within {self.limit}; `credit correct` can shorten it).",
                       _shown(columns.Column(self.element, self.header), value), WARNING)

    def refused(self, problem: Problem) -> Problem:
        """The length problem of a row that sent another value than its record holds, saying why the record's
        own is no help."""
        return dataclasses.replace(problem, message=problem.message + " The record holds another value, kept under "
                                   "an earlier edition's longer limit: only that value, sent unchanged, is kept.")


def check_kept(layout: Layout, longer: Layout, checked: Checked, cells: Sequence[str],
               today: datetime.date) -> tuple[Checked, tuple[Kept, ...]] | None:
    """A row :func:`check_row` refused (``checked``) for lengths alone, checked again by ``longer``
    (:func:`with_limits`: the longer limits of earlier editions, :func:`longer_limits`): its record and
    its values over ``layout``'s limits, which only a record holding those very values may keep (the
    service, once it has looked the record up) — or ``None`` when the row is refused for anything else,
    or by ``longer`` too. A new record never gets a value over the limit in force through this."""
    if checked.record is not None or any(p.severity is Severity.ERROR and p.code != "record.length"
                                         for p in checked.problems):
        return None
    again = check_row(longer, cells, checked.row, today)
    if again.record is None:
        return None
    width = len(cells)
    kept = tuple(Kept(b.field.element, b.header, len(value), limit) for b, index, kind, limit, _role in layout.plan
                 if kind == "text" and limit is not None
                 and len(value := cells[index].strip() if index < width else "") > limit)
    return (again, kept) if kept else None


def _subject_type(layout: Layout, by_role: Mapping[str, tuple[Bound, str]], given: set[str],
                  r: _Row) -> str | None:
    """Organization, individual business or natural person: the category column where there is one,
    else what identifies the subject (a unified social credit code, or an identity number). A code or
    number given but refused has been reported already."""
    if ("subject_code" in given and "subject_code" not in by_role) or \
            ("identity_number" in given and "identity_number" not in by_role) or \
            ("subject_category" in given and "subject_category" not in by_role):
        return None
    code = by_role.get("subject_code")
    number = by_role.get("identity_number")
    category = by_role.get("subject_category")
    if category is not None:
        kind = columns.SUBJECT_CATEGORIES[category[1]]
    elif code is not None:
        kind = "individual_business" if code[1][:2] == "92" else "organization"
    elif number is not None:
        kind = "natural_person"
    else:
        r.add(None, "credit.subject_missing", "The row names its subject but neither a unified social credit "
              "code nor an identity number: expected one to identify the credit subject.")
        return None
    if kind == "natural_person" and code is not None:  # never filed under an organization's code
        r.add(code[0], "credit.person_with_code", f"{category[0].header if category else '行政相对人类别'} says "
              f"自然人 but {code[0].header} gives a unified social credit code: a natural person is identified by "
              "the identity number (证件号码) alone, and their record is filed under it, never under an "
              f"organization's code. Leave {code[0].header} empty, or give the organization's category.", code[1])
        return None
    if kind == "natural_person" and number is None:
        b = category[0] if category else None
        r.add(b, "credit.subject_missing", "A natural person is identified by an identity number (证件号码), "
              "which the row does not give.")
        return None
    if kind != "natural_person" and code is None:
        if kind == "individual_business" and number is not None:
            return kind  # an individual business without a code of its own, known by its operator
        r.add(category[0] if category else None, "credit.subject_missing", "An organization is identified by its "
              "unified social credit code (统一社会信用代码), which the row does not give.")
        return None
    return kind


def _stated_period(layout: Layout, severity: str | None, dates: Mapping[str, datetime.date], r: _Row) -> None:
    """A warning when the end of publication a row states (公示截止期) is outside its severity's period: the
    record is kept, and published until the minimum or the maximum instead (core/credit/periods.py)."""
    stated = dates.get(STATED_UNTIL)
    if stated is None:
        return
    off = periods.stated_end(layout.item, severity, dates.get("decided_on"), stated)
    if off is not None:
        b = next(b for b in layout.bound if b.field.element == STATED_UNTIL)
        r.add(b, "credit.stated_period", f"{b.header}: {stated.isoformat()} is {off[1]} publication period of a "
              f"{severity} record decided on {dates['decided_on'].isoformat()}; it is published until "
              f"{off[0].isoformat()}.", stated.isoformat(), warning=True)


def _rules(layout: Layout, by_role: Mapping[str, tuple[Bound, str]], given: set[str],
           dates: Mapping[str, datetime.date], r: _Row) -> None:
    """The rules between fields: valid-until on or after decided-on (and valid-from); a fine, a
    confiscation or a suspended licence stated when the penalty category includes one."""
    decided = dates.get("decided_on")
    until = dates.get("valid_until")
    start = dates.get("valid_from")
    if until is not None and decided is not None and until < decided:
        b = by_role["valid_until"][0]
        r.add(b, "credit.valid_until_before", f"{b.header}: {until.isoformat()} is before the decision date "
              f"{decided.isoformat()}; expected a date on or after it ({OPEN_ENDED.isoformat()} when open-ended).",
              until.isoformat())
    if until is not None and start is not None and until < start:
        b = by_role["valid_until"][0]
        r.add(b, "credit.valid_until_before", f"{b.header}: {until.isoformat()} is before the start of validity "
              f"{start.isoformat()}.", until.isoformat())
    if "penalty_category" in by_role:
        named = set(columns.penalty_categories(by_role["penalty_category"][1]))
        for role, needed, what in (("fine", columns.FINE_CATEGORIES, "罚款金额（万元）"),
                                   ("confiscation", columns.CONFISCATION_CATEGORIES, "没收违法所得、没收非法财物的金额（万元）"),
                                   ("suspended_licence", columns.LICENCE_CATEGORIES_OF_PENALTY, "暂扣或吊销证照名称及编号")):
            has_column = bool(layout.columns_by_role(role))
            if named & needed and has_column and role not in given:
                r.add(layout.columns_by_role(role)[0], "record.required", f"{what} is required when the penalty "
                      f"category includes {'、'.join(sorted(named & needed))}, and is empty.")


def _key(layout: Layout, values: Mapping[str, str], by_role: Mapping[str, tuple[Bound, str]]) -> str:
    """A record's document number within its item and provider: the document number column's value
    (several key columns joined by ``/``, e.g. a taxpayer's number and the year rated)."""
    keys = layout.columns_by_role("document_number")
    parts = [values.get(b.field.element, "") for b in keys]
    if all(b.column.kind == "year" for b in keys):  # a rating of a year: the subject's, that year
        parts.insert(0, by_role.get("subject_code", (None, ""))[1])
    return "/".join(parts)


def unseen_character(text: str) -> str | None:
    """The first control or invisible character of ``text`` as ``U+XXXX``, or ``None``."""
    found = UNSEEN.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def document_key(number: str) -> str:
    """A document number as identities compare it: full-width forms as ASCII, no spaces, every kind of
    bracket as ``()``, upper case — 石市监罚〔2026〕118号 and 石市监罚(２０２６) 118号 are one decision.

    >>> document_key("石市监罚〔２０２６〕 118号") == document_key("石市监罚(2026)118号")
    True
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", number).translate(_BRACKETS)).upper()


def document_keys(numbers: Sequence[str]) -> list[str]:
    """:func:`document_key` of each number, worked on all of them joined by NUL (which no number holds,
    and which normalizing, brackets, spaces and upper case all leave as it is).

    >>> document_keys(["石市监罚〔２０２６〕 118号", "ß-1", ""]) == [document_key(n) for n in ["石市监罚(2026)118号", "ß-1", ""]]
    True
    """
    joined = "\x00".join(numbers)
    if not numbers or joined.count("\x00") != len(numbers) - 1:
        return [document_key(n) for n in numbers]
    return _SPACE.sub("", unicodedata.normalize("NFKC", joined).translate(_BRACKETS)).upper().split("\x00")


def shown_value(column_code: str, value: str) -> str:
    """A stored value as shown to someone not entitled to the personal numbers (they are masked)."""
    column = columns.COLUMNS.get(column_code)
    return mask_personal(value) if column is not None and column.personal else value
