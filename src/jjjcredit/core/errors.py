"""Error and verdict types shared by every identifier module.

Every condition has one stable ``code`` (``uscc.checksum``), a 1-based ``position`` where it applies
(or ``None``), and a message that says what was expected and what was found. The codes are listed
with their meaning in ``docs/errors.md``; a test keeps that page and :data:`ERROR_CODES` in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class IdentifierError(ValueError):
    """An identifier failed a rule. Raised by ``validate()``; ``check()`` returns findings instead."""

    def __init__(self, code: str, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position


class InvalidLength(IdentifierError):
    """The identifier has the wrong number of characters."""


class InvalidFormat(IdentifierError):
    """A character is outside the identifier's alphabet or pattern."""


class InvalidComponent(IdentifierError):
    """A part of the identifier (department, category, region, date) has no meaning."""


class InvalidChecksum(IdentifierError):
    """A check character does not match."""


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Verdict(enum.IntEnum):
    """The graded outcome. Ordered: a larger value is worse."""

    VALID = 0
    WARNING = 1
    INVALID = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One thing a check found: an error (makes the identifier invalid) or a warning."""

    code: str
    severity: Severity
    message: str
    position: int | None = None
    kind: type[IdentifierError] = InvalidComponent

    def to_exception(self) -> IdentifierError:
        return self.kind(self.code, self.message, self.position)


@dataclass(frozen=True)
class Check:
    """The full result of checking one identifier: its compact form, verdict and findings."""

    input: str
    compact: str
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        if any(f.severity is Severity.ERROR for f in self.findings):
            return Verdict.INVALID
        if self.findings:
            return Verdict.WARNING
        return Verdict.VALID

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def first(self) -> Finding | None:
        """The finding to show first: the first error, else the first warning."""
        errors = self.errors
        if errors:
            return errors[0]
        return self.findings[0] if self.findings else None


def error(
    code: str,
    message: str,
    position: int | None = None,
    kind: type[IdentifierError] = InvalidComponent,
) -> Finding:
    return Finding(code, Severity.ERROR, message, position, kind)


def warning(code: str, message: str, position: int | None = None) -> Finding:
    return Finding(code, Severity.WARNING, message, position)


#: Every finding code the core can produce, with a one-line meaning (docs/errors.md mirrors it).
ERROR_CODES: dict[str, str] = {
    "uscc.empty": "Nothing was given where a code was expected.",
    "uscc.length": "A unified social credit code has exactly 18 characters.",
    "uscc.format": "A character outside the 31-symbol alphabet (0-9, A-Z without I, O, S, V, Z), "
    "or a letter in the digits-only region positions 3-8.",
    "uscc.department": "Position 1 is not an assigned registration management department code.",
    "uscc.category": "Position 2 is not a category defined under the department in position 1.",
    "uscc.region_unknown": "Positions 3-8 name no division known to GB/T 2260 history (warning: "
    "some real codes carry such values).",
    "uscc.region_retired": "The division in positions 3-8 was abolished before unified codes were "
    "issued (warning).",
    "uscc.orgcode_format": "Position 17, the organization code's check character, must be a digit or X.",
    "uscc.orgcode_checksum": "The embedded organization code (positions 9-17) fails its GB 11714 check.",
    "uscc.checksum": "The check character (position 18) does not match the other 17.",
    "uscc.pilot_checksum": "A known early Fujian/Xiamen pilot code: the position-18 check does "
    "not follow GB 32100 but the code is real (warning).",
    "uscc.looks_like_ric": "The value is shaped like an 18-digit resident identity number, not an "
    "organization's code (warning).",
    "orgcode.empty": "Nothing was given where an organization code was expected.",
    "orgcode.length": "An organization code has 9 characters (8 plus a check character).",
    "orgcode.format": "Positions 1-8 are digits or upper-case letters; position 9 is a digit or X.",
    "orgcode.checksum": "The organization code's check character does not match.",
    "regno.empty": "Nothing was given where a registration number was expected.",
    "regno.length": "A business registration number has 15 digits.",
    "regno.format": "A business registration number has digits only.",
    "regno.checksum": "The ISO 7064 MOD 11,10 check digit does not match.",
    "ric.empty": "Nothing was given where a resident identity number was expected.",
    "ric.length": "A resident identity number has 18 characters.",
    "ric.format": "Positions 1-17 are digits; position 18 is a digit or X.",
    "ric.region": "Positions 1-6 name no known division.",
    "ric.region_anachronism": "The division in positions 1-6 did not exist in the birth year; the "
    "number may have been issued later (warning).",
    "ric.birth_date": "Positions 7-14 are not a real date in the past.",
    "ric.checksum": "The check character (position 18) does not match.",
    "file.not_found": "The named input file does not exist.",
    "file.is_directory": "A folder was named where a file was expected.",
    "file.empty": "The input file (or its first sheet) has nothing in it.",
    "file.no_codes": "The input had only blank lines.",
    "file.binary": "The input is not text (NUL bytes or control characters): expected text, CSV or XLSX.",
    "file.encoding": "The input is neither UTF-8 nor GB18030, or changes encoding part-way.",
    "file.xlsx_needs_column": "An XLSX workbook was given without --column.",
    "file.xlsx_damaged": "The XLSX workbook cannot be opened (often a truncated download).",
    "file.missing_column": "The column named with --column is not in the header; the message lists the columns.",
    "usage.format": "An output format that the command does not know.",
    "usage.department": "--department is not a department code.",
    "usage.category": "--category is not defined under the department.",
    "usage.region": "--region is not a 6-digit division code.",
    "internal": "An unexpected error: rerun with --debug and report it.",
    "interrupted": "The command was interrupted.",
}
