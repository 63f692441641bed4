"""Organization code (组织机构代码, GB 11714-1997).

Layout: 9 characters — an 8-character body (digits and upper-case letters) and a check character.
Often printed ``XXXXXXXX-X``. It is also positions 9-17 of every unified social credit code.

Check: values 0-9, A=10 … Z=35; weights 3 7 9 10 5 8 4 2 over the body;
C9 = 11 − (Σ mod 11), with 10 written ``X`` and 11 written ``0``.

>>> validate("D2143569-X")
'D2143569X'
>>> format("D2143569X")
'D2143569-X'
>>> validate("12345678")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidLength: Expected 9 characters (8 plus a check character), found 8.
>>> validate("AABBCCDDE")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidFormat: The check character "E" at position 9 must be a digit or X.
>>> is_valid("D21435691")
False
"""

from __future__ import annotations

import operator

from jjjcredit.core import errors
from jjjcredit.core.codes.normalize import strip_identifier
from jjjcredit.core.errors import Check, Finding

WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
BODY_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(BODY_ALPHABET)}


def compact(number: str) -> str:
    """Remove the separators people write and upper-case; never validates."""
    return strip_identifier(number)


def calc_check_char(body: str) -> str:
    """The check character for an 8-character body (which must use 0-9 and A-Z).

    >>> calc_check_char("D2143569")
    'X'
    """
    if len(body) != 8:
        raise ValueError(f"expected an 8-character body, got {len(body)}")
    total = sum(map(operator.mul, map(_VALUE.__getitem__, body), WEIGHTS))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def findings(code: str, offset: int = 0) -> list[Finding]:
    """Findings for an already compact 9-character code; ``offset`` shifts reported positions.

    The USCC uses it with ``offset=8`` so that positions and codes refer to the 18-character code.
    """
    embedded = offset > 0
    format_code = "uscc.orgcode_format" if embedded else "orgcode.format"
    checksum_code = "uscc.orgcode_checksum" if embedded else "orgcode.checksum"
    for i, c in enumerate(code[:8]):
        if c not in _VALUE:
            return [errors.error(format_code, f'Character "{c}" at position {i + 1 + offset} must be a digit '
                                 "or an upper-case letter.", i + 1 + offset, errors.InvalidFormat)]
    last = code[8]
    if not (last.isdigit() or last == "X"):
        return [errors.error(format_code, f'The check character "{last}" at position {9 + offset} must be '
                             "a digit or X.", 9 + offset, errors.InvalidFormat)]
    if calc_check_char(code[:8]) != last:
        what = "embedded organization code (positions 9-17)" if embedded else "organization code"
        return [errors.error(checksum_code, f"The {what} fails its GB 11714 check: "
                             f'the check character "{last}" does not match the 8 before it.',
                             9 + offset, errors.InvalidChecksum)]
    return []


def check(number: str) -> Check:
    """Check an organization code, returning its compact form, verdict and findings."""
    code = compact(number)
    if not code:
        return Check(number, code, (errors.error("orgcode.empty", "No organization code was given.",
                                                  None, errors.InvalidLength),))
    if len(code) != 9:
        return Check(number, code, (errors.error(
            "orgcode.length",
            f"Expected 9 characters (8 plus a check character), found {len(code)}.",
            None, errors.InvalidLength),))
    return Check(number, code, tuple(findings(code)))


def validate(number: str) -> str:
    """Return the compact code, or raise the first problem as an :class:`IdentifierError`."""
    result = check(number)
    if result.errors:
        raise result.errors[0].to_exception()
    return result.compact


def is_valid(number: object) -> bool:
    """Whether the value is a valid organization code; never raises."""
    try:
        return isinstance(number, str) and not check(number).errors
    except Exception:  # pragma: no cover - defensive: is_valid must never raise
        return False


def format(number: str) -> str:
    """The printed form ``XXXXXXXX-X``."""
    code = compact(number)
    return f"{code[:8]}-{code[8:]}"
