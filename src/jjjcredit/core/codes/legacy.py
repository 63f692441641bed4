"""Older identifiers and the unified code they live in.

Before 2015 an organization was known by a 9-character organization code (GB 11714), a 15-digit
business registration number (GS 15-2006) or a 15-digit tax registration number (6-digit division
+ the organization code). The first and the last map to a USCC through positions 9-17; the
registration number maps only through a library row that recorded it (element 19).

>>> classify("D2143569-X")
[('orgcode', 'D2143569X')]
>>> classify("110108D2143569X")
[('tax_number', 'D2143569X')]
>>> classify("110108000000016")
[('regno', '110108000000016')]
>>> rows = [LibraryRow("91110108D2143569X0", "110108000000016")]
>>> find_uscc("D2143569X", rows), find_uscc("110108000000016", rows), find_uscc("x", rows)
('91110108D2143569X0', '91110108D2143569X0', None)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jjjcredit.core.codes import orgcode, regno, uscc
from jjjcredit.core.codes.normalize import strip_identifier


@dataclass(frozen=True)
class LibraryRow:
    """What the mapping needs of a library row: its USCC and the registration number it recorded."""

    uscc: str
    registration_number: str | None = None


def classify(value: str) -> list[tuple[str, str]]:
    """Every reading of a value as an identifier, with the key to match on: the code itself for a
    USCC or a registration number, the organization code for an organization code or a tax
    number. A 15-digit value can be both a registration number and a tax number; both are listed.
    """
    code = strip_identifier(value)
    readings: list[tuple[str, str]] = []
    if len(code) == 18 and uscc.is_valid(code):
        readings.append(("uscc", code))
    elif len(code) == 9 and orgcode.is_valid(code):
        readings.append(("orgcode", code))
    elif len(code) == 15:
        if regno.is_valid(code):
            readings.append(("regno", code))
        if code[:6].isdigit() and orgcode.is_valid(code[6:]):
            readings.append(("tax_number", code[6:]))
    return readings


def find_uscc(value: str, rows: Iterable[LibraryRow]) -> str | None:
    """The USCC among ``rows`` that an older identifier belongs to, or ``None``."""
    readings = classify(value)
    if not readings:
        return None
    for row in rows:
        for what, key in readings:
            if what == "uscc" and row.uscc == key:
                return row.uscc
            if what in ("orgcode", "tax_number") and row.uscc[8:17] == key:
                return row.uscc
            if what == "regno" and row.registration_number and \
                    strip_identifier(row.registration_number) == key:
                return row.uscc
    return None
