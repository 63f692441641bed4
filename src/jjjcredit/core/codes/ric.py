"""Resident identity number (公民身份号码, GB 11643-1999) of legal representatives.

Layout: positions 1-6 the division code where the number was first issued (GB/T 2260), 7-14 the
birth date ``YYYYMMDD``, 15-17 a sequence number (odd for men), 18 the check character.
Check: weights 2^(18−i) mod 11 over positions i = 1-17 (7 9 10 5 8 4 2 1 6 3 …); the remainder of the sum mod 11 indexes
``10X98765432``.

This is personal data: messages never echo a whole number, only :func:`mask`.

>>> validate("11010519491231002X")
'11010519491231002X'
>>> mask("11010519491231002X")
'110105********002X'
>>> validate("1101051949123100")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidLength: Expected 18 characters, found 16.
>>> validate("360426199113010079")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidComponent: Positions 7-14 are not a real birth date (month 13).
>>> is_valid("11010519491231001X")
False
"""

from __future__ import annotations

import datetime

from jjjcredit.core import errors
from jjjcredit.core.codes import divisions
from jjjcredit.core.codes.normalize import strip_identifier
from jjjcredit.core.errors import Check, Finding

_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK = "10X98765432"


def compact(number: str) -> str:
    return strip_identifier(number)


def mask(number: str) -> str:
    """The form safe to show: region and last four kept, birth date hidden."""
    code = compact(number)
    if len(code) < 10:
        return "*" * len(code)
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def calc_check_char(body: str) -> str:
    """The check character for the first 17 digits.

    >>> calc_check_char("11010519491231002")
    'X'
    """
    return _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def birth_date(number: str) -> datetime.date | None:
    code = compact(number)
    try:
        return datetime.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def check(number: str, today: datetime.date | None = None) -> Check:
    """Check a resident identity number; the findings never contain the whole number."""
    code = compact(number)
    shown = mask(code)
    if not code:
        return Check(number, code, (errors.error("ric.empty", "No resident identity number was given.",
                                                  None, errors.InvalidLength),))
    if len(code) != 18:
        return Check(number, code, (errors.error(
            "ric.length", f"Expected 18 characters, found {len(code)}.", None, errors.InvalidLength),))
    for i, c in enumerate(code[:17]):
        if not c.isdigit() or not c.isascii():
            return Check(number, code, (errors.error(
                "ric.format", f"Position {i + 1} must be a digit ({shown}).", i + 1,
                errors.InvalidFormat),))
    if not (code[17].isdigit() or code[17] == "X"):
        return Check(number, code, (errors.error(
            "ric.format", f"Position 18 must be a digit or X ({shown}).", 18, errors.InvalidFormat),))
    found: list[Finding] = []
    region = code[:6]
    born = birth_date(code)
    if born is None or born > (today or datetime.date.today()) or born.year < 1800:
        month = int(code[10:12])
        detail = f"month {month}" if not 1 <= month <= 12 else "no such day, or not in the past"
        found.append(errors.error("ric.birth_date",
                                  f"Positions 7-14 are not a real birth date ({detail}).", 7))
    if not divisions.is_known(region):
        found.append(errors.error(
            "ric.region", f"Positions 1-6 ({region}) name no known division.", 1))
    elif born is not None and divisions.name_in(region, born.year) is None:
        first = divisions.first_year(region)
        found.append(errors.warning(
            "ric.region_anachronism",
            f"Division {region} was not in use in the birth year {born.year}"
            + (f" (in use from {first})" if first else "")
            + "; the number may have been issued later.", 1))
    if calc_check_char(code[:17]) != code[17]:
        found.append(errors.error(
            "ric.checksum",
            f"The check character at position 18 does not match the 17 before it ({shown}); "
            "check the digits for a typo.", 18, errors.InvalidChecksum))
    return Check(number, code, tuple(found))


def validate(number: str) -> str:
    result = check(number)
    if result.errors:
        raise result.errors[0].to_exception()
    return result.compact


def is_valid(number: object) -> bool:
    try:
        return isinstance(number, str) and not check(number).errors
    except Exception:  # pragma: no cover
        return False


def format(number: str) -> str:
    return compact(number)
