"""Business registration number (注册号, GS 15-2006), the 15-digit predecessor of the USCC.

Layout: positions 1-6 the code of the authority of first registration, 7-14 a sequence number,
15 a check digit by ISO 7064 MOD 11,10: P=10; for each digit S=(P+d) mod 10 (S=0 → 10),
P=2S mod 11; check = (11 − P) mod 10.

>>> validate("110108000000016")
'110108000000016'
>>> validate("11010800000001")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidLength: Expected 15 digits, found 14 characters.
>>> validate("ac0115600985535")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidFormat: Position 1 must be a digit, found "A".
>>> is_valid("310115600985535")
False
"""

from __future__ import annotations

from jjjcredit.core import errors
from jjjcredit.core.codes.normalize import strip_identifier
from jjjcredit.core.errors import Check


def compact(number: str) -> str:
    return strip_identifier(number)


def calc_check_char(body: str) -> str:
    """The check digit for the first 14 digits.

    >>> calc_check_char("11010800000001")
    '6'
    """
    p = 10
    for c in body:
        s = (p + int(c)) % 10 or 10
        p = 2 * s % 11
    return str((11 - p) % 10)


def check(number: str) -> Check:
    code = compact(number)
    if not code:
        return Check(number, code, (errors.error(
            "regno.empty", "No registration number was given.", None, errors.InvalidLength),))
    if len(code) != 15:
        return Check(number, code, (errors.error(
            "regno.length", f"Expected 15 digits, found {len(code)} characters.", None,
            errors.InvalidLength),))
    for i, c in enumerate(code):
        if not (c.isascii() and c.isdigit()):
            return Check(number, code, (errors.error(
                "regno.format", f'Position {i + 1} must be a digit, found "{c}".', i + 1,
                errors.InvalidFormat),))
    if calc_check_char(code[:14]) != code[14]:
        return Check(number, code, (errors.error(
            "regno.checksum",
            f'The check digit "{code[14]}" at position 15 does not match the 14 digits before it.',
            15, errors.InvalidChecksum),))
    return Check(number, code, ())


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
