"""Each row of a credit file checked against its item's layout (core/credit/layouts.py): a
:class:`records.Record` or the reasons it is refused. Pure.

The checks, per field by its column's kind (core/credit/columns.py): required values, lengths, value
lists (subject, penalty and licence categories, licence status, severity), dates that exist and are
not in the future (valid-until may be), valid-until on or after decided-on, amounts in 万元, the
subject's and the issuing authority's unified social credit codes, the subject's identity number;
personal numbers in text masked, control and invisible characters refused.

>>> from jjjcredit.core.credit import catalogue
>>> from jjjcredit.core.credit.layouts import bind
>>> from jjjcredit.core.credit.records import SAMPLE_PENALTY
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

import datetime
import decimal
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import is_identity_number, mobile_in, personal_in, shown_numbers, shown_personal
from jjjcredit.core.credit import columns, periods
from jjjcredit.core.credit.layouts import Bound, Layout
from jjjcredit.core.credit.records import STATED_UNTIL, UNSEEN, Checked, Record
from jjjcredit.core.errors import Error, Severity
from jjjcredit.core.library import transforms
from jjjcredit.core.library.records import Problem, mask_personal

WARNING = Severity.WARNING
#: Open-ended licences are written with this valid-until (domain.md §7.1).
OPEN_ENDED = datetime.date(2099, 12, 31)
_MAX_AMOUNT = decimal.Decimal("1e18")  #: decimal(24,6): 18 digits before the point
_SHOWN = 60  #: characters of a value a problem shows
#: :data:`UNSEEN` less the line break a prose value keeps (:attr:`columns.Column.multiline`).
_UNSEEN_IN_PROSE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\ufeff]")
_LINE_END = re.compile("\r\n?")


def shown_cell(column: columns.Column, value: str) -> str:
    """A cell's value as a problem shows it: any personal number masked, then cut at 60 characters."""
    text = mask_personal(value) if column.personal else shown_personal(value)  # masked before it is cut
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


class _Row:
    """The problems of one row as they are found."""

    def __init__(self, row: int) -> None:
        self.row = row
        self.problems: list[Problem] = []

    def add(self, b: Bound | None, code: str, message: str, value: str = "", warning: bool = False) -> None:
        shown = shown_personal(shown_cell(b.column, value) if b is not None else value)
        self.problems.append(Problem(self.row, shown_personal(b.header) if b else "", code, shown_personal(message), shown,
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


#: A fine 处罚内容 states in 元 (罚款人民币5000元, 罚款5,000元; not 罚款0.5万元): the figure (group ``yuan``).
FINE_IN_YUAN = r"罚款(?:人民币)?(?:金额)?(?:为|共计|合计)?\s*(?P<yuan>[0-9][0-9,]*(?:\.[0-9]+)?)\s*元"
_FINE_IN_YUAN = re.compile(FINE_IN_YUAN)


def fine_in_yuan(amount: str, content: str) -> str | None:
    """The figure of 元 that 处罚内容 ``content`` states as the fine when it is the fine column's ``amount`` (kept in
    万元): the column's values were written in 元 and would be read 10,000 times too large; else ``None``.

    >>> fine_in_yuan("5000", "罚款人民币5,000元"), fine_in_yuan("0.5", "罚款人民币5000元"), fine_in_yuan("2", "罚款2万元")
    ('5,000', None, None)
    """
    found = _FINE_IN_YUAN.search(content)
    if found is None:
        return None
    try:
        same = decimal.Decimal(found.group("yuan").replace(",", "")) == decimal.Decimal(amount)
    except decimal.InvalidOperation:
        return None
    return found.group("yuan") if same and decimal.Decimal(amount) != 0 else None


def _date(b: Bound, value: str, r: _Row, today: datetime.date, future_ok: bool) -> datetime.date | None:
    if b.column.role == "valid_until" and value in columns.OPEN_ENDED_WORDS:
        return OPEN_ENDED
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


#: Units a fine is written with, longest first, and the power of ten that turns the number into 万元.
_UNITS = (("万元人民币", 0), ("万人民币", 0), ("人民币元", -4), ("元人民币", -4), ("万元", 0), ("万", 0), ("元", -4))


def amount_in_unit(value: str) -> tuple[str, str] | None:
    """An amount written with its unit (``10000元``, ``1万元``, ``1万``) → (the amount in 万元, the number as
    written), exactly; ``None`` when no unit is written or the number is none, or finer than 6 decimals of 万元.

    >>> amount_in_unit("10000元"), amount_in_unit("1万"), amount_in_unit("0.001元"), amount_in_unit("12")
    (('1', '10000'), ('1', '1'), None, None)
    """
    text = unicodedata.normalize("NFKC", value).strip()
    for unit, shift in _UNITS:
        if text.endswith(unit):
            number = amount_value(text[: -len(unit)])
            if number is None:
                return None
            wan = decimal.Decimal(number).scaleb(shift)
            if wan.as_tuple().exponent < -6 and wan != wan.quantize(decimal.Decimal("1e-6")):  # type: ignore[operator]
                return None
            return format(wan.normalize(), "f"), number
    return None


def _amount(b: Bound, value: str, r: _Row) -> str | None:
    checked = amount_value(value)
    in_unit = amount_in_unit(value) if checked is None and not personal_in(value) else None
    if in_unit is not None:
        r.add(b, "credit.amount_unit", f"{b.header}: {_quoted(value)} was read as {in_unit[0]} 万元 (the column is "
              f"in 万元; write {in_unit[0]}, without a unit, to keep this warning away).", value, warning=True)
        return in_unit[0]
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


def _identity(b: Bound, value: str, kind: str, r: _Row, card_header: str | None = None) -> str | None:
    """The identity number of a row checked against its card type ``kind``; ``card_header`` names the card type's
    column when the card type is empty, so that a message says the number was read as an identity card's."""
    if _EXPONENT.fullmatch(value):
        r.add(b, "credit.identity_number", f"{b.header}: the number was kept by the spreadsheet as a number (in "
              "exponent form), which holds 15 digits only: its last digits are lost and cannot be read back. Format "
              "the column as text (or type ' before the number), enter the numbers again and send the row.", value)
        return None
    compact = ric.compact(value)
    if not columns.is_resident_card(kind):  # a passport or another card: kept as written, not checked as one
        return compact
    try:
        return ric.validate(compact)
    except Error as exc:
        if card_header is not None and not kind:
            r.add(b, "credit.identity_number", f"{b.header}: {exc.message} {card_header} is empty, so {b.header} was "
                  "read as a resident identity number (GB 11643); give the card type (e.g. 护照) when it is another "
                  "card, or correct the number.", value)
        else:
            r.add(b, "credit.identity_number", f"{b.header}: {exc.message} Expected a resident identity number "
                  "(GB 11643) when the card type is the identity card.", value)
        return None


#: What a footer line of a sheet starts with: totals, who made or checked it, notes.
_FOOTER = re.compile("(?:合计|总计|小计|共计|制表|填表|填报人|审核|负责人|统计人|联系人|分管领导|备注[:：]|注[:：]|说明[:：])")


def footer_of(layout: Layout, cells: Sequence[str]) -> str | None:
    """The word a row that is a sheet's footer, not a record, starts with (合计, 制表, 注： …): its first filled cell
    starts with one and it gives no document number, which the item requires (so that the fast paths, which send
    such a row here, tell it apart as this does); else ``None``."""
    keys = layout.columns_by_role("document_number")
    if not keys or not all(b.field.required for b in keys):
        return None
    first = next((c.strip() for c in cells if c.strip()), "")
    found = _FOOTER.match(first)
    if found is None or any(b.index < len(cells) and cells[b.index].strip() for b in keys):
        return None
    return found.group()  # (the word alone: the rest of the cell may hold a person's number)


def check_row(layout: Layout, cells: Sequence[str], row: int, today: datetime.date) -> Checked:
    """Check one row (``cells`` in the file's column order; ``row`` as the user numbers it)."""
    r = _Row(row)
    footer = footer_of(layout, cells)
    if footer is not None:  # one reason, not one for each field it leaves empty
        r.add(None, "record.footer", f"The row reads as the sheet's footer (“{footer}”), not a record: it gives no "
              "document number, and was not kept. Totals and signature lines belong outside the records: remove "
              "them from the file.")
        return Checked(row, None, tuple(r.problems))
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
            if role == "document_number" and mobile_in(value):  # as an identity number: it names the record
                r.add(b, "credit.phone_in_document_number", f"{b.header}: holds what looks like a mobile phone "
                      "number; the document number identifies the record and is published with it, so it never holds "
                      "one (masked, two numbers would name one record); expected the decision's or licence's own "
                      "number.", shown_personal(value))
                continue
            if mobile_in(value):
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
                      f"{columns.severity_names(item.severities)}, not {_quoted(value)} ({severity}).", value)
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
    card_bound, card = by_role.get("identity_type", (None, ""))
    card_header = card_bound.header if card_bound is not None else "证件类型"
    for key, (b, value) in list(by_role.items()):
        if key.startswith("_identity_raw_"):
            subject_s = b.column.role == "identity_number"
            number = _identity(b, value, card if subject_s else "", r, card_header if subject_s else None)
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
        elif item.severities and "severity" not in given:  # a value given but refused is reported already
            r.add(None, "record.required", f"失信严重程度 (XY_YZCD) is required by {item.code}: the item allows "
                  f"{columns.severity_names(item.severities)} and the row does not say which.")
    _rules(layout, by_role, given, dates, values, r)
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
        names = "names its subject but gives" if "subject_name" in by_role else "gives"
        r.add(None, "credit.subject_missing", f"The row {names} neither a unified social credit code nor an identity "
              "number: expected one to identify the credit subject.")
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
           dates: Mapping[str, datetime.date], values: Mapping[str, str], r: _Row) -> None:
    """The rules between fields: valid-until on or after decided-on (and valid-from); a fine not the figure of 元
    处罚内容 states (:func:`fine_in_yuan`); a fine, a confiscation or a suspended licence stated when the penalty
    category includes one."""
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
    content = values.get("CF_NR")
    if "fine" in by_role and content and (yuan := fine_in_yuan(by_role["fine"][1], content)) is not None:
        b, amount = by_role["fine"]
        r.add(b, "credit.fine_unit", f"{b.header}: {amount} is read in 万元 ({amount} 万元), and 处罚内容 states the fine "
              f"as {yuan} 元: the column's values look like 元, and would be published 10,000 times too large. Convert "
              f"them to 万元 (5000 元 is 0.5), head the column 罚款金额（万元）, and send the row again.", amount)
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
