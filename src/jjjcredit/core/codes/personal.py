"""Personal numbers in text: resident identity numbers and mainland mobile numbers, found however people
write them, so that every place that echoes or keeps what a caller typed can mask them.

- **Identity numbers**: 17 digits and a check character, ASCII or full-width, any two set apart by up to
  four separators of :data:`WIDE_SEPARATORS` (spaces of every kind, hyphens and dashes, dots, commas,
  enumeration commas, colons, brackets, slashes, bars, soft hyphens, zero-width characters — in their
  ASCII and full-width forms). A candidate is one only with a province's region and a real birth date
  (:func:`_is_ric`), so licence numbers, all-digit unified social credit codes and lists of dates are
  left alone. One run into other digits (``登记编号2026130102198505059977``) is one when its check
  character is right too.
- **Mobile numbers**: 11 digits, the first two 13-19, with +86, 0086, 86 or a trunk 0 before them; up to
  three of the narrower :data:`NUMBER_SEPARATORS` between any two digits, and any of the wide ones
  between the groups of three, four and four people write (``138，1234，5678``) — not elsewhere, so a list
  such as ``第13、14、15、16、17、18条`` is no number. A figure just before 元, or after ¥, is an amount.

:data:`NUMBER_RUN` is what every one of them holds: a text without one holds none.
"""

from __future__ import annotations

import datetime
import functools
import re

from jjjcredit.core.codes import divisions, ric
from jjjcredit.core.codes.normalize import removed_characters

_D = "[0-9０-９]"  #: a digit, ASCII or full-width
_X = "[0-9０-９XxＸｘ]"  #: an identity number's check character
#: What people set between the digits of a number they type or paste: the characters an identifier's
#: ``compact()`` removes (spaces, hyphens and dashes, straight quotes: not the curly ones prose is full
#: of), and dots, middle dots, slashes, commas, colons, bars, every other space and the zero-width ones.
NUMBER_SEPARATORS = (removed_characters().translate(str.maketrans("", "", "\u2018\u2019\u201c\u201d"))
                     + ".·/／－,:|?"  # (a ? stands for a character not shown)
                     "\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f"  # other spaces
                     "\u200b\u200c\u200d\u2060\u00ad")  # zero-width, and the soft hyphen
#: Those, and what else may stand between the groups of a number: Chinese and full-width punctuation,
#: brackets, plus signs, stars, underscores.
WIDE_SEPARATORS = NUMBER_SEPARATORS + "．，、：；;～~（）()【】［］[]｛｝{}〔〕<>《》*＊+＋・•‧﹒_＿#＃＝=｜"
_S = "[" + re.escape(NUMBER_SEPARATORS) + "]"
_W = "[" + re.escape(WIDE_SEPARATORS) + "]"
_GAP = f"{_S}{{0,3}}"  #: what may stand between two digits of a mobile number's group
_WIDE_GAP = f"{_W}{{0,4}}"  #: what may stand between two digits of an identity number, or two groups of a mobile
#: Where a resident identity number may start in text, and what it would be (group 1): no digit just
#: before or after (one run into other digits is found in :data:`_LONG_RUN`).
_RIC_AT = re.compile(f"(?<!{_D})(?=({_D}(?:{_WIDE_GAP}{_D}){{16}}{_WIDE_GAP}{_X})(?!{_D}))")
#: Where a mainland mobile number may start (group 1, with what comes before it: +86, 0086, 86, a trunk
#: 0), the number itself group 2; not inside a run of digits, nor an amount (a figure before 元, or
#: after ¥).
_MOBILE_AT = re.compile(
    f"(?<!{_D})(?<![¥￥])(?=((?:(?:[+＋]|00|００){_GAP})?(?:(?:86|８６){_GAP})?(?:[0０]{_GAP})?"
    f"([1１]{_GAP}[3-9３-９]{_GAP}{_D}{_WIDE_GAP}{_D}(?:{_GAP}{_D}){{3}}{_WIDE_GAP}{_D}(?:{_GAP}{_D}){{3}}))"
    f"(?!{_D})(?!{_S}*元))")
_SEPARATOR = re.compile(_W)
#: Eleven digits with up to four wide separators between two: what every identity or mobile number in
#: text holds (:func:`personal_in` is false of a text without one).
NUMBER_RUN = re.compile(f"{_D}(?:{_WIDE_GAP}{_D}){{10}}")
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_LONG_RUN = re.compile(f"{_D}{{19,}}")  #: digits run together, longer than an identity number


@functools.cache
def _provinces() -> frozenset[str]:
    """The first two digits of a resident identity number: the provinces of the division table, and Taiwan,
    Hong Kong and Macao (residence permits)."""
    return frozenset(c[:2] for c in divisions.codes()) | {"71", "81", "82", "83"}


def _is_ric(digits: str) -> bool:
    """Whether 18 characters could be a resident identity number: a province's region and a real birth date."""
    d = digits.translate(_ASCII_DIGITS)
    if d[:2] not in _provinces():
        return False
    try:
        born = datetime.date(int(d[6:10]), int(d[10:12]), int(d[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2099


def _is_ric_checked(digits: str) -> bool:
    """:func:`_is_ric`, and its check character right: 18 digits out of a longer run are one only then."""
    d = digits.translate(_ASCII_DIGITS).upper()
    return _is_ric(d) and ric.calc_check_char(d[:17]) == d[17]


_Found = tuple[int, int, str, bool]  #: a personal number in text: start, end, masked form, whether a mobile


def _found(text: str, mobiles: bool = True) -> list[_Found]:
    """The personal numbers in ``text``, in order, none overlapping — an identity number before a mobile
    number that would overlap it."""
    found: list[_Found] = []
    for m in _RIC_AT.finditer(text):
        digits = _SEPARATOR.sub("", m.group(1))
        if _is_ric(digits):
            found.append((m.start(), m.start() + len(m.group(1)), digits[:6] + "*" * 8 + digits[14:], False))
    for m in _LONG_RUN.finditer(text):
        run, i = m.group(), 0
        while i <= len(run) - 18:
            if _is_ric_checked(run[i:i + 18]):
                start = m.start() + i
                found.append((start, start + 18, run[i:i + 6] + "*" * 8 + run[i + 14:i + 18], False))
                i += 18
            else:
                i += 1
    if mobiles:
        for m in _MOBILE_AT.finditer(text):
            digits = _SEPARATOR.sub("", m.group(2))
            found.append((m.start(), m.start() + len(m.group(1)), digits[:3] + "*" * 4 + digits[7:], True))
    found.sort(key=lambda f: (f[0], f[3], -(f[1] - f[0])))
    kept: list[_Found] = []
    for one in found:
        if not kept or one[0] >= kept[-1][1]:
            kept.append(one)
    return kept


def _replaced(text: str, found: list[_Found]) -> str:
    if not found:
        return text
    parts, at = [], 0
    for start, end, shown, _mobile in found:
        parts += [text[at:start], shown]
        at = end
    return "".join(parts) + text[at:]


def shown_numbers(text: str) -> str:
    """``text`` with every resident identity number in it masked, however it is written.

    >>> shown_numbers("身份证11010519491231002X号")
    '身份证110105********002X号'
    >>> shown_numbers("/api/v1/subjects/110105-19491231-002x"), shown_numbers("１１０１０５１９４９１２３１００２Ｘ")
    ('/api/v1/subjects/110105********002x', '１１０１０５********００２Ｘ')
    >>> shown_numbers("130102 1985 0505 9977 2026年"), shown_numbers("许可证JY11301020012345 2026-04-25")
    ('130102********9977 2026年', '许可证JY11301020012345 2026-04-25')
    >>> shown_numbers("登记编号2026130102198505059977")
    '登记编号2026130102********9977'
    """
    return text if NUMBER_RUN.search(text) is None else _replaced(text, _found(text, mobiles=False))


def shown_personal(text: str) -> str:
    """``text`` with identity numbers (:func:`shown_numbers`) and mobile numbers masked: what free text
    keeps of the personal numbers typed into it.

    >>> shown_personal("电话138-1234-5678，身份证130102 1985 0505 9977")
    '电话138****5678，身份证130102********9977'
    >>> shown_personal("联系人+86 138 1234 5678、1381 2345 678；罚款18228000000元")
    '联系人138****5678、138****5678；罚款18228000000元'
    >>> shown_personal("电话138，1234，5678 万先生；依据第13、14、15、16、17、18条")
    '电话138****5678 万先生；依据第13、14、15、16、17、18条'
    """
    if NUMBER_RUN.search(text) is None:
        return text
    return _replaced(text, _found(text))


def personal_in(text: str) -> bool:
    """Whether ``text`` holds what looks like a resident identity number or a mobile number."""
    return NUMBER_RUN.search(text) is not None and bool(_found(text))


def personal_within(text: str) -> bool:
    """Whether ``text`` holds a personal number (:func:`personal_in`) or one run into other digits: any
    18 digits of a longer run that could be an identity number, its check character right or not (an
    identifier made of one, say).

    >>> personal_within("req-13010219850505997720260425"), personal_within("req-20261206143000-1")
    (True, False)
    """
    if personal_in(text):
        return True
    return any(_is_ric(run[i:i + 18]) for run in _LONG_RUN.findall(text) for i in range(len(run) - 17))


def mobile_in(text: str) -> bool:
    """Whether ``text`` holds what looks like a mobile number (and is not part of an identity number)."""
    return NUMBER_RUN.search(text) is not None and any(f[3] for f in _found(text))


def is_identity_number(code: str) -> bool:
    """Whether a code given as an organization's is a resident identity number (its check character right),
    alone or with the two digits a taxpayer number adds to one.

    >>> is_identity_number("130102198505010719"), is_identity_number("91130100104358720X")
    (True, False)
    >>> is_identity_number("13010219850505997701"), is_identity_number("911301001043587202")
    (True, False)
    """
    text = code.strip()
    return (len(text) == 18 or (len(text) == 20 and text[18:].isdigit())) and text[:17].isdigit() \
        and _is_ric_checked(text[:18])
