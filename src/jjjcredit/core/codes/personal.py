"""Personal numbers in text: resident identity numbers and mainland mobile numbers, found however people
write them, so that every place that echoes or keeps what a caller typed can mask them.

A text is read in its *shadow* (:data:`_SHADOW`): the same length, a digit of any script or in any form
NFKC makes a digit (superscript, subscript, circled) as its ASCII digit, the Chinese numerals
〇零一二三四五六七八九 and the financial 壹贰叁肆伍陆柒捌玖 as digits only in a run of eleven digits or more
(``一三八一二三四五六七八``; 一 alone, as in 一般 or 第一条, is a word), every invisible or joining character (spaces, controls, format characters,
combining marks, dashes, Hangul fillers) as a space, every other character that is no letter and no digit (punctuation,
brackets, symbols) as a comma. In it:

- **Identity numbers**: 17 digits and a check character, up to six separators between any two. A
  candidate is one only with a province's region and a real birth date (:func:`_is_ric`), so licence
  numbers, all-digit unified social credit codes and lists of dates are left alone; one with punctuation
  between its digits, or run into other digits (``登记编号2026130102198505059977``), only with its check
  character right too. 17 digits on their own with a region and a birth date are one without its check
  character; 15 on their own with a region and a birth date (YYMMDD) of the 1900s, a first-generation
  number (a 15-digit registration number shaped like one is masked too: a person's number is never
  left in clear for a company's).
- **Mobile numbers**: 11 digits, the first two 13-19, with +86, 0086, 86 or a trunk 0 before them, grouped
  3-4-4 as people write them: spaces, dashes or invisible characters anywhere, punctuation only between
  the groups — so ``1.38、12.34、56.78`` (three measurements) and ``第13、14、15、16、17、18条`` are no number.
  A figure of 11 digits just before 元 (not 元旦), or after ¥, is an amount.
- **What a spreadsheet keeps of an identity number** typed in as a number: ``1.10105198001011e+17``, its region and
  birth date in the first 14 of its digits.

:data:`NUMBER_RUN` is what every one of them holds: a text without one holds none.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jjjcredit.core.codes import divisions, ric

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Separators that a regular expression's ``\W`` leaves out: letters that show as nothing (Hangul fillers),
#: the long-vowel mark that looks like a dash, and the underscore.
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0ー_"
#: Digits in a form that is no decimal digit (Unicode's Nd, as ``\d`` and ``str.isdecimal`` take them) but one
#: NFKC makes: superscripts, subscripts, circled digits (a test holds the list whole).
DIGIT_FORMS = "\u00b2\u00b3\u00b9\u2070\u2074\u2075\u2076\u2077\u2078\u2079" \
    "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468\u24ea"
#: Chinese numerals written digit by digit (一三八一二三四五六七八), the financial ones too (壹叁捌…, 貳參陸 as
#: traditional text writes three of them, 叄 a variant), and 幺 for 1 as phone numbers are read out: digits only in a
#: run of eleven or more.
CHINESE_DIGITS = "〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖貳參陸叄幺"
_ANY_DIGIT = f"[\\d{DIGIT_FORMS}{CHINESE_DIGITS}]"
#: Eleven digits (any script's, any form's, Chinese numerals), with up to six characters that are no letter and no
#: digit between two: what every identity or mobile number in text holds (:func:`personal_in` is false of a text
#: without one).
#: (Written out eleven times rather than repeated: an attempt at a numeral of ordinary text, 一 in 一般, then
#: fails without entering a repeat, and text without a run is searched about as fast as for \d alone.)
NUMBER_RUN = re.compile(_ANY_DIGIT + f"[\\W{_BLANK_LETTERS}]{{0,6}}+{_ANY_DIGIT}" * 10)  # (possessive: fast)


@functools.cache
def _decimal_table() -> npt.NDArray[np.bool_]:
    """Whether each code point is a digit as :data:`NUMBER_RUN` has it (``str.isdecimal``: Unicode's category Nd;
    :data:`DIGIT_FORMS`; :data:`CHINESE_DIGITS`), a flag a code point (1.1 MB, made once, in a tenth of a second)."""
    import numpy as np

    table = np.zeros(0x110000, dtype=np.bool_)
    table[[c for c in range(0x110000) if chr(c).isdecimal()]] = True
    table[[ord(c) for c in DIGIT_FORMS + CHINESE_DIGITS]] = True
    return table


def number_run_cells(cells: Sequence[str], joined: str | None = None) -> list[int]:
    """Where a cell may hold a :data:`NUMBER_RUN` (and so a personal number): the index of each cell with
    eleven digits of any script or form or more (Chinese numerals among them), counted for the cells at once (numpy, no regular expression).
    The cells must be printable (no lone surrogate); ``joined``: their text joined, when it is at hand.

    >>> number_run_cells(["电话13812345678", "京罚〔2026〕1号", "１３８１２３４５６７８", "2026-04-25 2026-05-01"])
    [0, 2, 3]
    """
    import numpy as np

    if not cells:
        return []
    text = "".join(cells) if joined is None else joined
    return number_run_cells_of(text, np.fromiter(map(len, cells), dtype=np.int64, count=len(cells)))


def number_run_cells_of(joined: str, lengths: npt.NDArray[Any]) -> list[int]:
    """:func:`number_run_cells` of cells given as their text joined and each one's length (in characters).

    >>> import numpy as np
    >>> number_run_cells_of("京罚1号电话13812345678", np.array([4, 13]))
    [1]
    """
    import numpy as np

    if not len(lengths):
        return []
    digits = np.flatnonzero(_decimal_table()[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)])
    if len(digits) < 11:
        return []
    ends = np.asarray(lengths, dtype=np.int64).cumsum()
    return np.flatnonzero(np.bincount(ends.searchsorted(digits, side="right"), minlength=len(lengths)) >= 11).tolist()


SHADOW_KEPT = 1 << 16  #: characters whose shadow is kept (CJK text uses a few thousand)


class _Shadow(dict[int, int]):
    """A text's shadow, character for character (``str.translate``): a digit of any script or form
    (:data:`DIGIT_FORMS`) → its ASCII digit; a full-width X → X; what is invisible or joins (spaces, controls, format and private-use
    characters, combining marks, dashes, Hangul fillers) → a space, the *narrow* separator; any other
    character that is neither a letter nor a digit (punctuation, brackets, symbols) → a comma, the *wide*
    one, but a plus sign → + (a wide separator too, and what +86 starts with) and ¥ kept; everything else
    as it is. Each character is judged once, up to :data:`SHADOW_KEPT` different ones (a text made of
    every character there is does not grow it past that)."""

    def __missing__(self, point: int) -> int:
        char = chr(point)
        digit = unicodedata.decimal(char, None)
        if digit is None and char in DIGIT_FORMS:
            digit = int(unicodedata.normalize("NFKC", char))
        if digit is not None:
            shadow = 48 + digit
        elif char in "ＸｘXx":
            shadow = ord("X" if char in "ＸX" else "x")
        elif char in "+＋":
            shadow = ord("+")
        elif char in "¥￥":
            shadow = ord("¥")
        elif char in _BLANK_LETTERS[:4] or unicodedata.category(char)[0] in "ZCM" or \
                unicodedata.category(char) == "Pd" or char in "ー":
            shadow = ord(" ")
        elif not char.isalnum():
            shadow = ord(",")
        else:
            shadow = point
        if len(self) < SHADOW_KEPT:
            self[point] = shadow
        return shadow


_SHADOW = _Shadow()
_N = " {0,3}"  #: between two digits of a mobile number's group: invisible or joining characters only
_W = "[ ,+]{0,6}"  #: between two digits of an identity number, or two groups of a mobile number
#: In the shadow: where a resident identity number may start, and what it would be (group 1), no digit
#: just before or after (one run into other digits is found in :data:`_SPAN`).
_RIC_AT = re.compile(f"(?<![0-9])(?=([0-9](?:{_W}[0-9]){{16}}{_W}[0-9Xx])(?![0-9]))")
#: A first-generation body without its check character: 17 digits, only narrow separators, on their own.
_RIC17_AT = re.compile(f"(?<![0-9])(?=([0-9](?:{_N}[0-9]){{16}})(?![ ,+]*[0-9Xx]))")
#: A first-generation number (15 digits: region, birth date YYMMDD of the 1900s, sequence; no check
#: character), only narrow separators, on its own.
_RIC15_AT = re.compile(f"(?<![0-9])(?=([0-9](?:{_N}[0-9]){{14}})(?![ ,+]*[0-9Xx]))")
#: In the shadow: an identity number typed into a spreadsheet as a number and kept in exponent form
#: (``1.10105198001011e+17``; a CSV export drops its trailing zeros): its first digit and the rest of its 13 to 17
#: significant digits (groups 1, 2), the
#: decimal point read as a comma, its exponent 16 or 17 (a number of 17 or 18 digits).
_EXPONENT_AT = re.compile("(?<![0-9])(?<![0-9],)([0-9]),([0-9]{12,})[eE][,+]?(1[67])(?![0-9])")
#: A mainland mobile number (group 1 with what comes before it: +86, 0086, 86, a trunk 0; the number
#: group 2), grouped 3-4-4 as people write it: wide separators only between the groups.
_MOBILE_AT = re.compile(
    f"(?<![0-9])(?<!¥)(?=((?:(?:\\+|00){_N})?(?:86{_N})?(?:0{_N})?"
    f"(1{_N}[3-9]{_N}[0-9]{_W}[0-9](?:{_N}[0-9]){{3}}{_W}[0-9](?:{_N}[0-9]){{3}}))(?![0-9]))")
#: Digits run together or set apart by separators, however long: a number run into other digits is found
#: in one (its 18 digits with a right check character).
_SPAN = re.compile(f"[0-9](?:{_W}[0-9Xx])*")
_DIGITS = re.compile("[0-9Xx]")
#: In the shadow: a run of eleven digits or more with Chinese numerals among them, separated as :data:`_SPAN`'s.
_CHINESE_RUN = re.compile(f"[0-9{CHINESE_DIGITS}](?:[ ,+]{{0,6}}+[0-9{CHINESE_DIGITS}]){{10,}}")
#: A Chinese numeral next to another digit (separators between): only then may it be in a run.
_CHINESE_NEXT = re.compile(f"[{CHINESE_DIGITS}][ ,+]{{0,6}}+[0-9{CHINESE_DIGITS}]|[0-9][ ,+]{{0,6}}+[{CHINESE_DIGITS}]")
_FROM_CHINESE = str.maketrans(CHINESE_DIGITS, "0012345678912345678923631")
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_LONG_RUN = re.compile("\\d{19,}")  #: digits run together, longer than an identity number
_SEVENTEEN = re.compile("\\d{17}")  #: what a code holding an identity number holds


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


def _masked(text: str, shadow: str, start: int, end: int, keep: tuple[int, int]) -> str:
    """The number's own characters between ``start`` and ``end`` (separators dropped), those from the
    ``keep[0]``-th to the ``keep[1]``-th starred."""
    chars = [text[i] for i in range(start, end) if shadow[i] in "0123456789Xx"]
    return "".join(chars[:keep[0]]) + "*" * (keep[1] - keep[0]) + "".join(chars[keep[1]:])


def _found(text: str, mobiles: bool = True) -> list[_Found]:
    """The personal numbers in ``text``, in order, none overlapping — an identity number before a mobile
    number that would overlap it. Read in the text's shadow (:data:`_SHADOW`), whose every character
    stands where the text's does; where Chinese numerals stand next to digits, read again with them as digits,
    and what that reading adds kept where it overlaps nothing found without them (a numeral that is a name's
    character, 王伍 or 小陆, next to a number never hides it)."""
    shadow = text.translate(_SHADOW)
    found = _found_in(text, shadow, mobiles)
    if _CHINESE_NEXT.search(shadow) is None:
        return found
    more = _found_in(text, _CHINESE_RUN.sub(lambda m: m.group().translate(_FROM_CHINESE), shadow), mobiles)
    merged = sorted([*found, *(f for f in more if all(f[1] <= g[0] or f[0] >= g[1] for g in found))])
    kept: list[_Found] = []
    for one in merged:
        if not kept or one[0] >= kept[-1][1]:
            kept.append(one)
    return kept


def _found_in(text: str, shadow: str, mobiles: bool) -> list[_Found]:
    """:func:`_found` in one shadow of ``text``."""
    found: list[_Found] = []
    # Every pattern below needs so many digits (an identity number 15 or more, a mobile number 11): a text
    # with fewer is not searched for it. The shadow's digits are all ASCII.
    count = sum(map(shadow.count, "0123456789"))
    if count >= 15:
        for m in _RIC_AT.finditer(shadow):
            group = m.group(1)
            digits = group.replace(" ", "").replace(",", "").replace("+", "")
            if _is_ric_checked(digits) if "," in group or "+" in group else _is_ric(digits):  # punctuation between: its check too
                end = m.start() + len(group)
                found.append((m.start(), end, _masked(text, shadow, m.start(), end, (6, 14)), False))
        for m in _RIC17_AT.finditer(shadow):
            group = m.group(1)
            if _is_ric(group.replace(" ", "") + "0"):
                end = m.start() + len(group)
                found.append((m.start(), end, _masked(text, shadow, m.start(), end, (6, 14)), False))
        for m in _RIC15_AT.finditer(shadow):
            group = m.group(1)
            digits = group.replace(" ", "")
            if _is_ric(digits[:6] + "19" + digits[6:] + "0"):  # (its birth year in the 1900s, as every one was)
                end = m.start() + len(group)
                found.append((m.start(), end, _masked(text, shadow, m.start(), end, (6, 11)), False))
        for m in _EXPONENT_AT.finditer(shadow):  # what a spreadsheet kept of one: its region and birth date
            if _is_ric((m.group(1) + m.group(2) + "0" * 18)[:18]):  # (digits dropped as trailing zeros were 0)
                found.append((m.start(), m.end(2), _masked(text, shadow, m.start(), m.end(2), (6, 14)), False))
        for m in _SPAN.finditer(shadow):  # an identity number run into other digits: 18 of them, its check right
            if len(m.group()) < 18:  # (fewer places than a number has)
                continue
            places = [m.start() + d.start() for d in _DIGITS.finditer(m.group())]
            i = 0
            while i <= len(places) - 18:
                window = "".join(shadow[p] for p in places[i:i + 18])
                if (i or len(places) > 18) and window[:17].isdigit() and _is_ric_checked(window):
                    start, end = places[i], places[i + 17] + 1
                    found.append((start, end, _masked(text, shadow, start, end, (6, 14)), False))
                    i += 18
                else:
                    i += 1
    if mobiles and count >= 11:
        for m in _MOBILE_AT.finditer(shadow):
            number = m.group(2)
            after = shadow[m.start() + len(m.group(1)):m.start() + len(m.group(1)) + 2]
            if len(number) == 11 and after[:1] == "元" and after[1:] not in ("旦", "宵") and m.group(1) == number:
                continue  # an amount of yuan written as one figure
            start = m.start() + len(m.group(1)) - len(number)
            end = m.start() + len(m.group(1))
            found.append((m.start(), end, _masked(text, shadow, start, end, (3, 7)), True))
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
    >>> shown_numbers("旧身份证130102800101123，注册号130100000123"), shown_numbers("金额130102800101123456元")
    ('旧身份证130102*****1123，注册号130100000123', '金额130102800101123456元')
    >>> shown_numbers("1.10105198001011e+17"), shown_numbers("号码1.30104198005069E+17。"), shown_numbers("9.9e+17")
    ('110105********1e+17', '号码130104********9E+17。', '9.9e+17')
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
    """Whether a code given as an organization's holds a resident identity number: 18 of its characters in a
    row with a region, a birth date and the check character right (alone, or in a taxpayer number with
    characters before or after), or 17 digits alone with a region and a birth date.

    >>> is_identity_number("130102198505010719"), is_identity_number("91130100104358720X")
    (True, False)
    >>> is_identity_number("13010219850505997701"), is_identity_number("A1301021985050599771")
    (True, True)
    >>> is_identity_number("13010219850505997"), is_identity_number("911301001043587202")
    (True, False)
    """
    if _SEVENTEEN.search(code) is None:  # (a code with letters among its digits, as most are: at once)
        return False
    text = code.strip().translate(_ASCII_DIGITS).upper()
    if len(text) == 17 and text.isdigit():
        return _is_ric(text + "0")
    return any(text[i:i + 17].isdigit() and _is_ric_checked(text[i:i + 18]) for i in range(len(text) - 17))
