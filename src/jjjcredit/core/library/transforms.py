"""Value transforms: what departments really write → the form a data element expects.

A crosswalk names a transform per column (``transform: date``); :data:`TRANSFORMS` is the one
registry that maps those names to pure functions. Each function takes the cell text (already
stripped of surrounding spaces, never empty) and returns the element's form, or raises
:class:`TransformError` with a stable code and a message that quotes the value and says what was
expected.

>>> TRANSFORMS["date"].apply("2019年3月5日")
'20190305'
>>> TRANSFORMS["capital_yuan"].apply("5,000,000元")
'500'
>>> TRANSFORMS["status_words"].apply("在营（开业）")
'1'
>>> TRANSFORMS["code"].apply("9113 0100 MA0C-XXXX1")
'91130100MA0CXXXX1'
>>> sorted(TRANSFORMS)[:4]
['capital_wan', 'capital_yuan', 'code', 'count']
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass

from jjjcredit.core.codes.normalize import strip_identifier
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error
from jjjcredit.core.library.elements import ECONOMIC_TYPE, industry_section


class TransformError(Error, ValueError):
    """A value could not be read as the element's form. ``code`` is stable (docs/errors.md)."""


@dataclass(frozen=True)
class Transform:
    """A named value transform. ``memo``: values repeat (dates, words), so results may be cached."""

    name: str
    apply: Callable[[str], str]
    description: str
    memo: bool = True


#: Values longer than this are cut short when quoted in a message (the check uses the whole value).
QUOTED = 60


def quote(value: str) -> str:
    """A value as messages quote it: in double quotes, any personal number in it masked, cut short when long.

    >>> quote("存续"), quote("x" * 100), quote("130102198505059977")
    ('"存续"', '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" (100 characters)', '"130102********9977"')
    """
    value = shown_personal(value)
    if len(value) <= QUOTED:
        return f'"{value}"'
    return f'"{value[:QUOTED]}…" ({len(value):,} characters)'


# --- full-width forms --------------------------------------------------------------------------

#: Full-width digits, letters and common punctuation of numbers → ASCII; the ideographic space →
#: a space. Chinese full-width brackets in names are left alone (they are the correct form there).
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"}
_FULLWIDTH.update({c: c - 0xFEE0 for c in range(ord("Ａ"), ord("Ｚ") + 1)})
_FULLWIDTH.update({c: c - 0xFEE0 for c in range(ord("ａ"), ord("ｚ") + 1)})
_FULLWIDTH.update({ord("\u3000"): ord(" "), ord("．"): ord("."), ord("，"): ord(","), ord("／"): ord("/"),
                   ord("－"): ord("-"), ord("："): ord(":"), ord("＋"): ord("+")})


def fullwidth(value: str) -> str:
    """Full-width digits and letters (and the ideographic space) → half-width; nothing else changes.

    >>> fullwidth("北京１２３ＡＢｃ有限公司（分店）")
    '北京123ABc有限公司（分店）'
    """
    if value.isascii():
        return value
    return value.translate(_FULLWIDTH)


def text(value: str) -> str:
    """Free text as written (surrounding spaces are already gone).

    >>> text("北京市朝阳区")
    '北京市朝阳区'
    """
    return value


def code(value: str) -> str:
    """An identifier as pasted: spaces, hyphens (``XXXXXXXX-X``), quotes, full-width and case removed.

    >>> code("ｍａ０ｃ１２３４-５")
    'MA0C12345'
    """
    return strip_identifier(value)


# --- dates -------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"(\d{4})(\d{2})(\d{2})(?: \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
)
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
#: Excel serial numbers accepted as dates: 10000 (1927-05-18) to 99999 (2173-10-14). Shorter numbers
#: are more likely a year or a typo than a date, so they are refused with a hint.
SERIAL_RANGE = (10_000, 99_999)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 = 1900-01-01, after Excel's 1900 leap-year bug
_MONTH_DAYS = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _ymd(value: str, year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        raise TransformError("record.date", f'{quote(value)} is not a date that exists: there is no '
                             f"month {month}: expected a year, month and day such as 20190305, 2019-03-05 or "
                             "2019年3月5日 (the year first).")
    try:
        result = datetime.date(year, month, day)
    except ValueError:
        leap = " (not a leap year)" if month == 2 and day == 29 else ""
        days = 29 if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else _MONTH_DAYS[month]
        raise TransformError("record.date", f'{quote(value)} is not a date that exists: {year}-{month:02d} has '
                             f"{days} days{leap}. Check the day against the document it was copied from.") from None
    if year < 1800:
        raise TransformError("record.date", f'{quote(value)} is before 1800: check the year.')
    return f"{result.year:04d}{result.month:02d}{result.day:02d}"


def date(value: str) -> str:
    """A date written any usual way → ``YYYYMMDD``.

    Accepted: ``20190305``, ``2019-03-05``, ``2019/3/5``, ``2019.3.5``, ``2019年3月5日``, the same
    with a time of day after it, full-width digits, and Excel serial numbers (``43529``).

    >>> [date(v) for v in ("20190305", "2019-3-5", "2019/03/05 00:00:00", "2019年3月5日", "43529", "２０１９．３．５")]
    ['20190305', '20190305', '20190305', '20190305', '20190305', '20190305']
    >>> date("20190305 08:30:00")  # an XLSX date cell with a time of day, as the readers give it
    '20190305'
    >>> date("2019-02-29")
    Traceback (most recent call last):
        ...
    jjjcredit.core.library.transforms.TransformError: "2019-02-29" is not a date that exists: 2019-02 has 28 days (not a leap year). Check the day against the document it was copied from.
    >>> date("2019")
    Traceback (most recent call last):
        ...
    jjjcredit.core.library.transforms.TransformError: "2019" is not a full date: expected a year, month and day such as 20190305, 2019-03-05 or 2019年3月5日.
    """
    v = fullwidth(value) if not value.isascii() else value
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(v)
        if m:
            return _ymd(value, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _SERIAL.fullmatch(v)
    if m:
        serial = int(m.group(1))
        if SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
            day = _EXCEL_EPOCH + datetime.timedelta(days=serial)
            return f"{day.year:04d}{day.month:02d}{day.day:02d}"
    raise TransformError("record.date", f'{quote(value)} is not a full date: expected a year, month and day '
                         "such as 20190305, 2019-03-05 or 2019年3月5日.")


def to_excel_serial(day: datetime.date) -> int:
    """The Excel serial number of a date (the inverse of what :func:`date` reads).

    >>> to_excel_serial(datetime.date(2019, 3, 5))
    43529
    """
    return (day - _EXCEL_EPOCH).days


# --- amounts -----------------------------------------------------------------------------------

_AMOUNT = re.compile(r"([+-]?)(\d+(?:,\d{3})*|\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_UNITS = (("万元人民币", 4), ("万人民币", 4), ("万元", 4), ("万", 4), ("人民币元", 0), ("元人民币", 0),
          ("元", 0), ("人民币", 0))
_TEN_THOUSAND = decimal.Decimal(10_000)
MAX_DECIMALS = 8
MAX_DIGITS = 24


def _amount(value: str, default_shift: int) -> str:
    """Parse an amount in yuan (shift 0) or 万元 (shift 4) → a 万元 decimal string."""
    v = fullwidth(value).replace(" ", "") if not value.isascii() else value.replace(" ", "")
    shift = default_shift
    for unit, unit_shift in _UNITS:
        if v.endswith(unit):
            v, shift = v[: -len(unit)], unit_shift
            break
    for prefix in ("人民币", "¥", "￥", "RMB", "CNY"):
        if v.startswith(prefix):
            v = v[len(prefix):]
    m = _AMOUNT.fullmatch(v)
    if not m or not (m.group(2) or m.group(3)):
        raise TransformError("record.amount", f'{quote(value)} is not an amount: expected a number of 万元 '
                             "(10 000 yuan) such as 500 or 12.5, optionally followed by 万元 or 元.")
    if m.group(1) == "-":
        raise TransformError("record.amount", f'{quote(value)} is negative: registered capital cannot be.')
    number = decimal.Decimal(f"{m.group(2).replace(',', '') or '0'}.{m.group(3) or '0'}")
    if m.group(4):
        number = number.scaleb(int(m.group(4)))
    if shift == 0:
        number = number / _TEN_THOUSAND
    result = format(number.normalize(), "f")
    if "." in result:
        result = result.rstrip("0").rstrip(".")
    whole, _, decimals = result.partition(".")
    if len(decimals) > MAX_DECIMALS or len(whole) + len(decimals) > MAX_DIGITS:
        raise TransformError("record.amount", f'{quote(value)} has more digits than the element allows '
                             f"(up to {MAX_DIGITS} digits, {MAX_DECIMALS} after the point, in 万元).")
    return result


def capital_wan(value: str) -> str:
    """An amount in 万元 (10 000 yuan) → a 万元 decimal string; a unit written in the cell wins.

    >>> [capital_wan(v) for v in ("500", "1,200.50", "500万元", "５００万", "3000000元", "0.5")]
    ['500', '1200.5', '500', '500', '300', '0.5']
    """
    return _amount(value, 4)


def capital_yuan(value: str) -> str:
    """An amount in yuan → a 万元 decimal string; a unit written in the cell wins.

    >>> [capital_yuan(v) for v in ("5000000", "5,000,000.00", "12345", "500万元")]
    ['500', '500', '1.2345', '500']
    """
    return _amount(value, 0)


def count(value: str) -> str:
    """A whole number (employees): thousands separators and a trailing 人 removed.

    >>> count("1,250人")
    '1250'
    """
    v = fullwidth(value).replace(",", "").removesuffix("人").strip()
    if not v.isdigit() or not v.isascii():
        raise TransformError("record.number", f'{quote(value)} is not a whole number: expected digits only, e.g. 25.')
    return str(int(v))


# --- words onto value lists --------------------------------------------------------------------

def _words(table: dict[str, str]) -> dict[str, str]:
    return {_key(k): v for k, v in table.items()}


_PUNCT = str.maketrans("", "", " \u3000()（）[]【】\"'“”、,，.。-_")


def _key(value: str) -> str:
    return fullwidth(value).translate(_PUNCT).upper()


STATUS_WORDS = _words({
    "1": "1", "2": "2", "3": "3", "4": "4", "9": "9",
    "存续": "1", "在营": "1", "开业": "1", "在业": "1", "在营开业": "1", "存续在营开业在册": "1",
    "在册": "1", "正常": "1", "有效": "1", "登记": "1", "成立": "1", "确立": "1", "存续在营": "1",
    "异常": "2", "经营异常": "2", "列入经营异常名录": "2", "异常名录": "2", "活动异常": "2",
    "吊销": "3", "已吊销": "3", "吊销未注销": "3", "吊销营业执照": "3", "吊销执照": "3",
    "注销": "4", "已注销": "4", "撤销": "4", "已撤销": "4", "撤销登记": "4", "注销登记": "4", "终止": "4",
    "迁出": "9", "已迁出": "9", "其他": "9", "停业": "9", "歇业": "9", "清算": "9", "待迁入": "9",
})

ID_TYPE_WORDS = _words({
    "10": "10", "20": "20", "30": "30", "40": "40", "50": "50", "60": "60", "90": "90",
    "居民身份证": "10", "身份证": "10", "中华人民共和国居民身份证": "10", "二代身份证": "10", "身份证号": "10",
    "军官证": "20", "警官证": "20", "士兵证": "20", "文职干部证": "20", "军官证警官证士兵证文职干部证": "20",
    "港澳居民来往内地通行证": "30", "港澳通行证": "30", "回乡证": "30",
    "台湾居民来往大陆通行证": "40", "台胞证": "40",
    "护照": "50", "外国护照": "50",
    "外国人永久居留身份证": "60", "外国人永久居留证": "60", "永久居留证": "60",
    "其他": "90", "其他证件": "90",
})

TRANSACTION_WORDS = _words({
    "01": "01", "02": "02", "03": "03", "11": "11", "12": "12", "90": "90",
    "1": "01", "2": "02", "3": "03",
    "设立": "01", "设立登记": "01", "新设": "01", "成立": "01", "开业": "01",
    "变更": "02", "变更登记": "02", "注销": "03", "注销登记": "03",
    "机关": "11", "机关内设机构": "12", "内设机构": "12", "其他": "90",
})

CURRENCY_WORDS = _words({
    "CNY": "CNY", "RMB": "CNY", "人民币": "CNY", "人民币元": "CNY", "元": "CNY",
    "USD": "USD", "美元": "USD", "EUR": "EUR", "欧元": "EUR", "HKD": "HKD", "港元": "HKD", "港币": "HKD",
    "JPY": "JPY", "日元": "JPY", "GBP": "GBP", "英镑": "GBP", "MOP": "MOP", "澳门元": "MOP",
    "TWD": "TWD", "新台币": "TWD", "KRW": "KRW", "韩元": "KRW", "SGD": "SGD", "新加坡元": "SGD",
    "CHF": "CHF", "瑞士法郎": "CHF", "CAD": "CAD", "加拿大元": "CAD", "AUD": "AUD", "澳大利亚元": "AUD",
})

DISCLOSURE_WORDS = _words({
    "1": "1", "2": "2", "是": "1", "公开": "1", "Y": "1", "YES": "1", "TRUE": "1",
    "否": "2", "不公开": "2", "N": "2", "NO": "2", "FALSE": "2",
})


def _lookup(name: str, table: dict[str, str], what: str) -> Callable[[str], str]:
    words = [k for k in table if not k.isascii()]
    shown = "、".join(words[:12]) + ("…" if len(words) > 12 else "")

    def apply(value: str) -> str:
        found = table.get(_key(value))
        if found is None:
            raise TransformError("record.value", f'{quote(value)} is not a known {what}: expected a code or one of '
                                 f"{shown}. Add the word to the crosswalk's transform if it is a local term.")
        return found

    apply.__name__ = name
    return apply


status_words = _lookup("status_words", STATUS_WORDS, "status word")
id_type_words = _lookup("id_type_words", ID_TYPE_WORDS, "ID document type")
transaction_words = _lookup("transaction_words", TRANSACTION_WORDS, "registration transaction type")
currency_words = _lookup("currency_words", CURRENCY_WORDS, "currency")
disclosure_words = _lookup("disclosure_words", DISCLOSURE_WORDS, "disclosure flag")


def economic_type_words(value: str) -> str:
    """A GB/T 12402 economic type, by code or by its Chinese name.

    >>> economic_type_words("有限责任(公司)"), economic_type_words("173")
    ('150', '173')
    """
    v = fullwidth(value)
    if v in ECONOMIC_TYPE:
        return v
    wanted = _key(value)
    for item in ECONOMIC_TYPE.values():
        if _key(item.zh) == wanted:
            return item.code
    raise TransformError("record.value", f'{quote(value)} is not a GB/T 12402 economic type: expected a code '
                         "such as 150 or its Chinese name such as 有限责任（公司）.")


def division(value: str) -> str:
    """A division code: 6 digits; a 12-digit statistical code keeps its first 6; ``.0`` from Excel dropped.

    >>> division("130100"), division("110105000000"), division("130102.0")
    ('130100', '110105', '130102')
    """
    v = code(value).removesuffix(".0")
    if len(v) == 12 and v.isdigit() and v.isascii():
        return v[:6]
    return v


def industry(value: str) -> str:
    """A GB/T 4754 industry code; a leading section letter (``C3311``) is dropped after it is checked.

    >>> industry("C3311"), industry("3311")
    ('3311', '3311')
    >>> industry("A3311")
    Traceback (most recent call last):
        ...
    jjjcredit.core.library.transforms.TransformError: "A3311": section A does not contain industry 3311 (it is in section C).
    """
    v = code(value)
    if v[:1].isalpha() and v[1:].isdigit() and len(v) > 1:
        section = industry_section(v[1:])
        if section is not None and section != v[0]:
            raise TransformError("record.value", f'{quote(value)}: section {v[0]} does not contain industry '
                                 f"{v[1:]} (it is in section {section}).")
        return v[1:]
    return v


def number(value: str) -> str:
    """Digits as a spreadsheet may hand them over: ``25.0`` → ``25``; full-width digits → ASCII.

    >>> number("２５"), number("25.0")
    ('25', '25')
    """
    v = fullwidth(value)
    return v[:-2] if v.endswith(".0") and v[:-2].isdigit() else v


def _t(apply: Callable[[str], str], description: str, memo: bool = True) -> Transform:
    return Transform(apply.__name__, apply, description, memo)


#: The one registry: transform name (as written in crosswalk files) → transform.
TRANSFORMS: dict[str, Transform] = {t.name: t for t in (
    _t(text, "free text as written", memo=False),
    _t(fullwidth, "full-width digits and letters → half-width", memo=False),
    _t(code, "identifier as pasted → compact (spaces, XXXXXXXX-X hyphen, quotes, full-width, case)", memo=False),
    _t(date, "20190305, 2019-03-05, 2019/3/5, 2019年3月5日, Excel serial → YYYYMMDD"),
    _t(capital_wan, "amount in 万元 (or with 万元/元 written) → 万元"),
    _t(capital_yuan, "amount in 元 (or with 万元/元 written) → 万元"),
    _t(count, "whole number, 人 and thousands separators removed"),
    _t(number, "digits (full-width, Excel's trailing .0 removed)"),
    _t(status_words, "存续, 在营, 开业, 异常, 吊销, 注销, 撤销, 迁出 … → status code"),
    _t(id_type_words, "居民身份证, 护照, 港澳通行证 … → ID document type code"),
    _t(transaction_words, "设立, 变更, 注销 … → registration transaction type code"),
    _t(currency_words, "人民币, 美元 … → GB/T 12406 currency code"),
    _t(disclosure_words, "是/公开, 否/不公开 → disclosure flag"),
    _t(economic_type_words, "GB/T 12402 economic type name → code"),
    _t(division, "division code; 12-digit statistical codes → first 6 digits"),
    _t(industry, "GB/T 4754 industry code; a leading section letter is checked and dropped"),
)}

#: The transform a column gets when its crosswalk names none (and every column of the standard
#: layout): identifiers are compacted, dates and amounts read in every usual form, words mapped onto
#: value lists. Elements not listed are free text.
DEFAULTS: dict[str, str] = {
    "uscc": "code", "orgcode": "code", "registration_number": "fullwidth",
    "registering_department_code": "code", "supervisor_code": "code", "legal_rep_id_number": "code",
    "established": "date", "approved": "date", "last_updated": "date", "valid_from": "date", "valid_to": "date",
    "transaction_type": "transaction_words", "status": "status_words", "legal_rep_id_type": "id_type_words",
    "currency": "currency_words", "disclosure": "disclosure_words", "economic_type": "economic_type_words",
    "registered_capital": "capital_wan", "employees": "count", "industry": "industry",
    "address_division": "division", "operating_division": "division", "telephone": "fullwidth",
}
