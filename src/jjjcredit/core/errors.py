"""Error and verdict types shared by every identifier module.

Every condition has one stable ``code`` (``uscc.checksum``), a 1-based ``position`` where it applies
(or ``None``), and a message that says what was expected and what was found. The codes are listed
with their meaning in ``docs/errors.md``; a test keeps that page and :data:`ERROR_CODES` in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Error(Exception):
    """The one base error of the platform: a stable ``code`` (listed in :data:`ERROR_CODES`), a
    message that says what was found, where, and what was expected, and where it applies — the
    ``field`` (an element or parameter name), the ``row`` (as the user numbers it) and the 1-based
    ``position`` inside a value. Every adapter turns it into its own shape with one handler.

    >>> e = Error("usage.source", 'Source "beijing/x" is not known.', field="source")
    >>> e.code, e.field, str(e)
    ('usage.source', 'source', 'Source "beijing/x" is not known.')
    """

    def __init__(self, code: str, message: str, *, field: str | None = None, row: int | None = None,
                 position: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.row = row
        self.position = position


class IdentifierError(Error, ValueError):
    """An identifier failed a rule. Raised by ``validate()``; ``check()`` returns findings instead."""

    def __init__(self, code: str, message: str, position: int | None = None) -> None:
        super().__init__(code, message, position=position)


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
    "file.no_rows": "The file has a header but no rows (or only blank ones) to check.",
    "file.binary": "The input is not text (NUL bytes or control characters): expected text, CSV or XLSX.",
    "file.encoding": "The input is neither UTF-8 nor GB18030, or changes encoding part-way.",
    "file.xlsx_needs_column": "An XLSX workbook was given without --column.",
    "file.xlsx_damaged": "The XLSX workbook cannot be opened (often a truncated download).",
    "file.missing_column": "The column named with --column is not in the header; the message lists the columns.",
    "usage.format": "An output format that the command does not know.",
    "usage.department": "--department is not a department code.",
    "usage.category": "--category is not defined under the department.",
    "usage.region": "--region is not a 6-digit division code.",
    "usage.count": "--count must be a whole number of at least 1.",
    "usage.regions": "--regions names a region other than beijing, tianjin, hebei.",
    "usage.mistakes": "--mistakes is a share of rows between 0 and 0.5.",
    "usage.jobs": "--jobs must be at least 1.",
    "usage.out": "--out is not a folder that can be written to.",
    "crosswalk.syntax": "A crosswalk file is not valid YAML (or not UTF-8); the message gives the line.",
    "crosswalk.shape": "A crosswalk file lacks source or columns, or a column is written in an unknown shape.",
    "crosswalk.source": "A source is not <region>/<department> (beijing, tianjin, hebei × the six "
    "departments), or a crosswalk file names another source than its file name.",
    "crosswalk.unknown_element": "A crosswalk column names an element that is not in the registry.",
    "crosswalk.unknown_transform": "A crosswalk column names a value transform that does not exist.",
    "crosswalk.directory": "The crosswalks directory (JJJCREDIT_CROSSWALKS_DIR) does not exist or cannot be read.",
    "file.duplicate_column": "Two columns of a file hold the same element; keep one of them.",
    "file.format": "The file is not CSV, XLSX, JSON Lines or XML, or its structure cannot be read.",
    "record.ragged": "A row has more or fewer cells than the header; its cells cannot be matched to columns.",
    "record.encoding": "A row is not in the encoding of the rest of the file (mixed UTF-8 and GB18030).",
    "record.shape": "A JSON Lines line or XML record is not an object of field values.",
    "record.required": "A required value (code, name, or a column the crosswalk marks required) is empty.",
    "record.date": "A date that is not a full date, or a date that does not exist.",
    "record.amount": "An amount that is not a non-negative number of 万元 (or 元 where written).",
    "record.number": "A value that must be digits is not.",
    "record.value": "A value that is not on the element's value list (or no known word for one).",
    "record.length": "A value longer (or shorter) than the element's format allows.",
    "record.format": "A value with characters the element's format does not allow.",
    "record.orgcode_mismatch": "The organization code differs from positions 9-17 of the unified social credit code.",
    "record.division_unknown": "A division code not known to GB/T 2260 history (warning).",
    "record.source_department": "The code's department (position 1) is not the declared source's department (warning).",
    "record.source_region": "The code's region (positions 3-4) is not the declared source's region (warning).",
    "record.duplicate": "The same unified social credit code appears in an earlier row of the file.",
    "usage.source": "--source is not a known source; the message lists them.",
    "usage.report": "The report file cannot be written, or its extension is neither .json, .jsonl nor .csv.",
    "internal": "An unexpected error: rerun with --debug and report it.",
    "interrupted": "The command was interrupted.",
    "db.schema_behind": "The database schema is older than this version of jjjcredit: run `jjjcredit db upgrade`.",
    "library.not_found": "A valid code that no provider has sent to the library.",
    "library.unknown_batch": "No batch has that id; `jjjcredit library stats` lists recent batches.",
    "clients.services": "--services names a service that does not exist.",
    "clients.level": "--level is not a security level (1, 2 or 3).",
    "clients.name": "A client needs a name.",
    "clients.exists": "A client of that name exists already.",
    "clients.unknown": "No client has that name.",
    "access.key_required": "The service needs an API key (X-API-Key) (HTTP 401).",
    "access.bad_key": "The API key is unknown or revoked (HTTP 401).",
    "access.forbidden": "The client has no right to the service (HTTP 403); the message names the right.",
    "access.purpose_required": "Calls with a key state their purpose in X-Purpose (HTTP 400).",
    "access.rate_limited": "Too many calls without a key from one address (HTTP 429, Retry-After).",
    "audit.chain": "The audit trail's hash chain is broken: an entry was edited, inserted or deleted (located).",
    "audit.since": "--since is not a date (expected YYYY-MM-DD or an ISO time).",
    "evidence.malformed": "A saved answer or keys file is not what was expected (no evidence, bad base64 …).",
    "evidence.unknown_key": "The answer was signed with a key not among the published keys given.",
    "evidence.algorithm": "The evidence names an algorithm other than Ed25519.",
    "evidence.signature": "The signature does not match: the request, answer, sequence or time was changed.",
    "evidence.no_secret": "No operator secret for the signing keys (JJJCREDIT_SIGNING_KEY_SECRET or "
    "JJJCREDIT_SIGNING_KEY_FILE): nothing is signed; the verify routes answer HTTP 503, the rest of the API works.",
    "evidence.bad_secret": "The operator secret does not open the stored signing keys (sealed under another "
    "secret): nothing is signed (HTTP 503).",
    "audit.dropped": "The database refused the audit trail's writes for longer than JJJCREDIT_AUDIT_CLOSE_SECONDS at "
    "shutdown; the entries left are counted (jjjcredit_audit_entries_dropped_total) and logged with this code.",
    "request.invalid": "The request does not fit the API's schema (HTTP 422); field says where.",
    "request.not_found": "No such URL (HTTP 404).",
    "request.method": "The URL does not take that method (HTTP 405).",
    "request.http": "Another HTTP-level refusal.",
    "search.empty_query": "A search with nothing to look for once spaces and signs are dropped; give q=.",
    "search.bad_filter": "A search filter (region, department, status) that is not a known value; field says which.",
    "search.bad_limit": "A search limit out of range (1 to 100).",
    "reconcile.bad_queries": "A reconciliation call whose queries= is not a JSON object of queries "
    "(W3C reconciliation API 0.2).",
    "db.foreign_keys_broken": "A migration would leave rows referring to rows that do not exist; it was rolled back.",
    "db.unavailable": "The database cannot be reached or opened (wrong URL, server down, not a database).",
    "redis.unavailable": "Redis for the shared rate limits (--redis, JJJCREDIT_REDIS_URL) does not answer when the "
    "server starts, or the URL is not a Redis URL; the server does not start. Later outages are logged "
    "with this code while each worker counts alone.",
    "library.batch_id_reused": "A batch id names an earlier batch of another file or source; choose a new id.",
    "library.reader_failed": "The process reading a large file beside the ingest ended or failed; nothing was written.",
    "usage": "The command line is not right: a missing argument, an unknown option, a value out of range.",
}
