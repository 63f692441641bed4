"""The one error model: the base :class:`Error`, the identifier findings and verdicts, and the table
of every error code.

Every condition has one stable ``code`` (``uscc.checksum``), a message that says what was expected and
what was found, and where it applies (``field``, ``row``, a 1-based ``position``). Every exception
class of the platform derives from :class:`Error`; :data:`ERROR_CODES` keeps each code's meaning, HTTP
status and exit code in one place, and each adapter turns any :class:`Error` into its own shape with
one handler (``web/errors.py``, ``cli/output.py``). ``docs/errors.md`` is generated from the table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Error(Exception):
    """The one base error of the platform: a stable ``code`` (listed in :data:`ERROR_CODES`), a
    message that says what was found, where, and what was expected, and where it applies — the
    ``field`` (an element or parameter name), the ``row`` (as the user numbers it) and the 1-based
    ``position`` inside a value. Every adapter turns it into its own shape with one handler.

    >>> e = Error("crosswalk.source", 'Source "beijing/x" is not known.', field="source")
    >>> e.code, e.field, str(e)
    ('crosswalk.source', 'source', 'Source "beijing/x" is not known.')
    """

    def __init__(self, code: str, message: str, *, field: str | None = None, row: int | None = None,
                 position: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.row = row
        self.position = position

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its class, arguments and attributes (an error raised in another process comes back
        whole: code, message, field, row, position)."""
        return _rebuilt, (type(self), self.args, dict(self.__dict__))


def _rebuilt(cls: type[Error], args: tuple[Any, ...], state: dict[str, Any]) -> Error:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


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


@dataclass(frozen=True)
class ErrorCode:
    """One row of the error table: the HTTP status the API answers with and the exit code the command
    line ends with, beside the one-line meaning (docs/errors.md is generated from these rows)."""

    http_status: int
    exit_code: int
    meaning: str


#: Every error code of the platform: code → HTTP status, exit code, meaning. Exit codes: 1 the data was
#: judged and something is wrong (an invalid code, a rejected row, a broken chain), 2 the input or the
#: command line cannot be used, 3 an unexpected error (never a judgment of the data), 130 interrupted. Adapters take both numbers from here, nowhere else.
ERROR_CODES: dict[str, ErrorCode] = {
    "uscc.empty": ErrorCode(400, 1, "Nothing was given where a code was expected."),
    "uscc.length": ErrorCode(400, 1, "A unified social credit code has exactly 18 characters."),
    "uscc.format": ErrorCode(400, 1, "A character outside the 31-symbol alphabet (0-9, A-Z without I, O, S, "
        "V, Z), or a letter in the digits-only region positions 3-8."),
    "uscc.department": ErrorCode(400, 1, "Position 1 is not an assigned registration management department code."),
    "uscc.category": ErrorCode(400, 1, "Position 2 is not a category defined under the department in position 1."),
    "uscc.region_unknown": ErrorCode(400, 1, "Positions 3-8 name no division known to GB/T 2260 history "
        "(warning: some real codes carry such values)."),
    "uscc.region_retired": ErrorCode(400, 1, "The division in positions 3-8 was abolished before unified "
        "codes were issued (warning)."),
    "uscc.orgcode_format": ErrorCode(400, 1, "Position 17, the organization code's check character, must be "
        "a digit or X."),
    "uscc.orgcode_checksum": ErrorCode(400, 1, "The embedded organization code (positions 9-17) fails its GB"
        " 11714 check."),
    "uscc.checksum": ErrorCode(400, 1, "The check character (position 18) does not match the other 17."),
    "uscc.pilot_checksum": ErrorCode(400, 1, "A known early Fujian/Xiamen pilot code: the position-18 check "
        "does not follow GB 32100 but the code is real (warning)."),
    "uscc.looks_like_ric": ErrorCode(400, 1, "The value is shaped like an 18-digit resident identity number,"
        " not an organization's code (warning)."),
    "orgcode.empty": ErrorCode(400, 1, "Nothing was given where an organization code was expected."),
    "orgcode.length": ErrorCode(400, 1, "An organization code has 9 characters (8 plus a check character)."),
    "orgcode.format": ErrorCode(400, 1, "Positions 1-8 are digits or upper-case letters; position 9 is a "
        "digit or X."),
    "orgcode.checksum": ErrorCode(400, 1, "The organization code's check character does not match."),
    "regno.empty": ErrorCode(400, 1, "Nothing was given where a registration number was expected."),
    "regno.length": ErrorCode(400, 1, "A business registration number has 15 digits."),
    "regno.format": ErrorCode(400, 1, "A business registration number has digits only."),
    "regno.checksum": ErrorCode(400, 1, "The ISO 7064 MOD 11,10 check digit does not match."),
    "ric.empty": ErrorCode(400, 1, "Nothing was given where a resident identity number was expected."),
    "ric.length": ErrorCode(400, 1, "A resident identity number has 18 characters."),
    "ric.format": ErrorCode(400, 1, "Positions 1-17 are digits; position 18 is a digit or X."),
    "ric.region": ErrorCode(400, 1, "Positions 1-6 name no known division."),
    "ric.region_anachronism": ErrorCode(400, 1, "The division in positions 1-6 did not exist in the birth "
        "year; the number may have been issued later (warning)."),
    "ric.birth_date": ErrorCode(400, 1, "Positions 7-14 are not a real date in the past."),
    "ric.checksum": ErrorCode(400, 1, "The check character (position 18) does not match."),
    "file.not_found": ErrorCode(400, 2, "The named input file does not exist."),
    "file.is_directory": ErrorCode(400, 2, "A folder was named where a file was expected."),
    "file.empty": ErrorCode(400, 2, "The input file (or its first sheet) has nothing in it."),
    "file.no_codes": ErrorCode(400, 2, "The input had only blank lines."),
    "file.no_rows": ErrorCode(400, 2, "The file has a header but no rows (or only blank ones) to check."),
    "file.binary": ErrorCode(400, 2, "The input is not text (NUL bytes or control characters): expected "
        "text, CSV or XLSX."),
    "file.encoding": ErrorCode(400, 2, "The input is neither UTF-8 nor GB18030, or changes encoding part-way."),
    "file.xlsx_needs_column": ErrorCode(400, 2, "An XLSX workbook was given without --column."),
    "file.xlsx_damaged": ErrorCode(400, 2, "The XLSX workbook cannot be opened (often a truncated download)."),
    "file.check_ended": ErrorCode(500, 3, "The process reading and checking a large file ended before the "
                                  "file's end (killed, out of memory): nothing of the batch was recorded."),
    "file.too_many_rows": ErrorCode(413, 2, "A batch sent through the API holds more rows than "
        "JJJCREDIT_LIMIT_API_ROWS: refused whole, nothing kept."),
    "file.xlsx_expands": ErrorCode(400, 2, "A part of the XLSX workbook (a sheet, its shared strings, styles, theme, "
        "...) expands far more than a spreadsheet's XML does (a zip bomb): refused before it is read."),
    "file.xlsx_strings": ErrorCode(400, 2, "The XLSX workbook holds more shared strings than a full sheet of 16 "
        "text columns: refused before they are held."),
    "file.xlsx_columns": ErrorCode(400, 2, "The XLSX sheet's header names a column past column IV (256): every "
        "row would be read as wide; refused before the rows are read."),
    "file.xlsx_cell": ErrorCode(400, 2, "The XLSX sheet holds a cell longer than a spreadsheet program writes "
        "(inline text expanded past the cell limit): the workbook is refused before it is held."),
    "file.missing_column": ErrorCode(400, 2, "The column named with --column is not in the header; the "
        "message lists the columns."),
    "usage.format": ErrorCode(400, 2, "An output format that the command does not know."),
    "usage.department": ErrorCode(400, 2, "--department is not a department code."),
    "usage.category": ErrorCode(400, 2, "--category is not defined under the department."),
    "usage.region": ErrorCode(400, 2, "--region is not a 6-digit division code."),
    "usage.count": ErrorCode(400, 2, "--count must be a whole number of at least 1."),
    "usage.regions": ErrorCode(400, 2, "--regions names a region other than beijing, tianjin, hebei."),
    "usage.mistakes": ErrorCode(400, 2, "--mistakes is a share of rows between 0 and 0.5."),
    "usage.jobs": ErrorCode(400, 2, "--jobs must be at least 1."),
    "usage.out": ErrorCode(400, 2, "--out is not a folder that can be written to."),
    "crosswalk.syntax": ErrorCode(400, 2, "A crosswalk file is not valid YAML (or not UTF-8); the message "
        "gives the line."),
    "crosswalk.shape": ErrorCode(400, 2, "A crosswalk file lacks source or columns, or a column is written "
        "in an unknown shape."),
    "crosswalk.source": ErrorCode(400, 2, "A source that is not known — given to a command (records check, "
        "library ingest, library quality) or on a crosswalk's source line — is not <region>/<department> (beijing, "
        "tianjin, hebei × the six departments, or another department whose layout is given with --layout or "
        "found in the crosswalks directory); or a crosswalk file names another source than its file name or "
        "than --source."),
    "crosswalk.unknown_element": ErrorCode(400, 2, "A crosswalk column names an element that is not in the "
        "registry."),
    "crosswalk.unknown_transform": ErrorCode(400, 2, "A crosswalk column names a value transform that does "
        "not exist."),
    "crosswalk.file": ErrorCode(400, 2, "The layout file given with --layout does not exist or cannot be read."),
    "crosswalk.directory": ErrorCode(500, 2, "The crosswalks directory (JJJCREDIT_CROSSWALKS_DIR) does not "
        "exist or cannot be read."),
    "file.duplicate_column": ErrorCode(400, 2, "Two columns of a file hold the same element; keep one of them."),
    "file.format": ErrorCode(400, 2, "The file is not CSV, XLSX, JSON Lines or XML, or its structure cannot "
        "be read."),
    "record.ragged": ErrorCode(400, 1, "A row has more or fewer cells than the header; its cells cannot be "
        "matched to columns."),
    "record.encoding": ErrorCode(400, 1, "A row is not in the encoding of the rest of the file (mixed UTF-8 "
        "and GB18030)."),
    "record.cut_off": ErrorCode(400, 1, "The file ends in the middle of a character: its last line is cut off "
        "(the file incomplete)."),
    "record.shape": ErrorCode(400, 1, "A JSON Lines line or XML record is not an object of field values."),
    "record.too_long": ErrorCode(400, 1, "A line over JJJCREDIT_LIMIT_LINE_BYTES bytes (skipped unread) or a cell"
        " over JJJCREDIT_LIMIT_CELL_CHARS characters (the message names the column): the row is rejected, the "
        "rest of the file is read."),
    "record.too_deep": ErrorCode(400, 1, "A JSON Lines line nested deeper than JJJCREDIT_LIMIT_JSON_DEPTH: the "
        "row is rejected, the rest of the file is read."),
    "record.bad_characters": ErrorCode(400, 1, "A value holds a NUL character or a lone surrogate (a JSON Lines "
        "escape such as \\u0000 or \\ud800, in a value or a field name; a NUL byte in a CSV past its first block):"
        " no text of the platform can hold one; the row is rejected, the rest of the file is read."),
    "record.required": ErrorCode(400, 1, "A required value (code, name, or a column the crosswalk marks "
        "required) is empty."),
    "record.date": ErrorCode(400, 1, "A date that is not a full date, or a date that does not exist."),
    "record.amount": ErrorCode(400, 1, "An amount that is not a non-negative number of 万元 (a unit written in the cell is read)."),
    "record.number": ErrorCode(400, 1, "A value that must be digits is not."),
    "record.value": ErrorCode(400, 1, "A value that is not on the element's value list (or no known word for one)."),
    "record.footer": ErrorCode(400, 1, "A row that is a sheet's footer (合计, 制表人：…, 注：…) and gives no document "
        "number: rejected with this one reason, not kept."),
    "record.length": ErrorCode(400, 1, "A value longer (or shorter) than the element's format allows."),
    "record.format": ErrorCode(400, 1, "A value with characters the element's format does not allow."),
    "record.orgcode_mismatch": ErrorCode(400, 1, "The organization code differs from positions 9-17 of the "
        "unified social credit code."),
    "record.division_unknown": ErrorCode(400, 1, "A division code not known to GB/T 2260 history (warning)."),
    "record.source_department": ErrorCode(400, 1, "The code's department (position 1) is not the declared "
        "source's department (warning)."),
    "record.source_region": ErrorCode(400, 1, "The code's region (positions 3-4) is not the declared "
        "source's region (warning)."),
    "record.duplicate": ErrorCode(400, 1, "The same unified social credit code appears in an earlier row of "
        "the file."),
    "usage.report": ErrorCode(400, 2, "The report file cannot be written, or its extension is neither .json,"
        " .jsonl nor .csv."),
    "usage.csv_encoding": ErrorCode(400, 2, "--csv-encoding (or JJJCREDIT_CSV_ENCODING) is neither utf-8-sig "
        "(UTF-8 with a byte order mark) nor gb18030."),
    "internal": ErrorCode(500, 3, "An unexpected error: rerun with --debug and report it."),
    "interrupted": ErrorCode(503, 130, "The command was interrupted."),
    "db.schema_behind": ErrorCode(503, 2, "The database schema is older than this version of jjjcredit: run "
        "`jjjcredit db upgrade`."),
    "db.schema_ahead": ErrorCode(503, 2, "The database schema is newer than this version of jjjcredit (a newer "
        "release upgraded it): run that release."),
    "library.not_found": ErrorCode(404, 1, "A valid code that no provider has sent to the library."),
    "library.unknown_batch": ErrorCode(404, 1, "No batch has that id; `jjjcredit library stats` lists recent"
        " batches."),
    "clients.services": ErrorCode(400, 2, "A service that does not exist was named for a client."),
    "clients.level": ErrorCode(400, 2, "A security level other than 1, 2 or 3."),
    "clients.name": ErrorCode(400, 2, "A client needs a name, and one that does not start with staff: or subject:."),
    "clients.exists": ErrorCode(409, 2, "A client of that name exists already."),
    "clients.name_revoked": ErrorCode(409, 2, "A revoked client's name (or one that reads the same) is never given "
        "again: the records it provided, the authorizations given to it and the audit trail stay its own."),
    "clients.unknown": ErrorCode(404, 1, "No client that is not revoked has that name."),
    "clients.grace": ErrorCode(400, 2, "A key rotation's grace period outside 0 to 8760 hours."),
    "clients.items": ErrorCode(400, 2, "A client's item grant names no item, or one that is not a catalogue item in "
                               "force."),
    "access.key_required": ErrorCode(401, 2, "The service needs an API key (X-API-Key)."),
    "access.bad_key": ErrorCode(401, 2, "The API key is unknown or revoked."),
    "access.key_expired": ErrorCode(401, 2, "The API key was replaced (clients rotate) and its grace period "
                                    "has ended: use the new key."),
    "access.forbidden": ErrorCode(403, 1, "The client has no right to the service; the message names the right."),
    "access.item": ErrorCode(403, 1, "A provider's key submitting records under a catalogue item it is not granted "
        "(its client's items)."),
    "access.purpose_required": ErrorCode(400, 2, "Calls with a key state their purpose in X-Purpose."),
    "settings.invalid": ErrorCode(400, 2, "A JJJCREDIT_ setting holds a value of the wrong kind; the message "
                                  "names the setting and what it takes."),
    "settings.trusted_proxies": ErrorCode(400, 2, "JJJCREDIT_TRUSTED_PROXIES holds something that is not an IP "
                                          "address or CIDR network."),
    "access.rate_limited": ErrorCode(429, 1, "Too many calls without a key from one address (Retry-After)."),
    "audit.chain": ErrorCode(500, 1, "The audit trail's hash chain is broken: an entry was edited, inserted "
        "or deleted (located)."),
    "audit.checkpoints": ErrorCode(400, 2, "The --checkpoints file cannot be read as JSON."),
    "audit.empty": ErrorCode(404, 1, "The audit trail is empty: there is no head to checkpoint."),
    "audit.since": ErrorCode(400, 2, "--since is not a date (expected YYYY-MM-DD or an ISO time)."),
    "evidence.malformed": ErrorCode(400, 2, "A saved answer or keys file is not what was expected (no "
        "evidence, bad base64 …)."),
    "evidence.unknown_key": ErrorCode(400, 1, "The answer was signed with a key not among the published keys given."),
    "evidence.algorithm": ErrorCode(400, 1, "The evidence names an algorithm other than Ed25519."),
    "evidence.signature": ErrorCode(400, 1, "The signature does not match: the request, answer, sequence or "
        "time was changed."),
    "evidence.no_secret": ErrorCode(503, 2, "No operator secret for the signing keys (JJJCREDIT_SIGNING_KEY_SECRET"
        " or JJJCREDIT_SIGNING_KEY_FILE): nothing is signed; the verify routes answer HTTP 503, the rest of the "
        "API works."),
    "evidence.bad_secret": ErrorCode(503, 2, "The operator secret does not open the stored signing keys (sealed "
        "under another secret): nothing is signed (HTTP 503)."),
    "audit.dropped": ErrorCode(500, 1, "The database refused the audit trail's writes for longer than "
        "JJJCREDIT_AUDIT_CLOSE_SECONDS at shutdown; the entries left are counted "
        "(jjjcredit_audit_entries_dropped_total) and logged with this code."),
    "audit.failing": ErrorCode(503, 1, "The audit trail's writes have failed for longer than /healthz allows (the "
        "database refuses them: a full disk, a read-only database); every call is still answered and its entry "
        "waits in this server process's memory. /healthz answers 503 with this code until they are written."),
    "request.invalid": ErrorCode(422, 2, "The request does not fit the API's schema; field says where."),
    "request.not_found": ErrorCode(404, 2, "No such URL."),
    "request.method": ErrorCode(405, 2, "The URL does not take that method."),
    "request.http": ErrorCode(400, 2, "Another HTTP-level refusal (e.g. a request line that is not HTTP/1.1)."),
    "request.bad_header": ErrorCode(400, 2, "A header the HTTP parser refuses before the API sees it: a control "
        "character in its value (field names the header, position the byte) or a byte not allowed in a name."),
    "request.bad_url": ErrorCode(400, 2, "A URL holding a byte that is not printable ASCII (text outside ASCII sent "
        "raw, a control character, a space): percent-encode it; position names the byte."),
    "search.empty_query": ErrorCode(400, 2, "A search with nothing to look for once spaces and signs are "
        "dropped; give q=."),
    "search.bad_filter": ErrorCode(400, 2, "A search filter (region, department, status) that is not a known"
        " value; field says which."),
    "search.bad_limit": ErrorCode(400, 2, "A search limit out of range (1 to 100)."),
    "reconcile.bad_queries": ErrorCode(400, 2, "A reconciliation call whose queries= is not a JSON object of"
        " queries (W3C reconciliation API 0.2), or holds what JSON has not (NaN, Infinity) or a limit that is no "
        "finite number."),
    "db.foreign_keys_broken": ErrorCode(500, 2, "A migration would leave rows referring to rows that do not "
        "exist; it was rolled back."),
    "db.unavailable": ErrorCode(503, 2, "The database cannot be reached or opened (wrong URL, server down, "
        "not a database)."),
    "redis.unavailable": ErrorCode(503, 2, "Redis for the shared rate limits (--redis, JJJCREDIT_REDIS_URL) "
        "does not answer when the server starts, or the URL is not a Redis URL; the server does not start. Later "
        "outages are logged with this code while each worker counts alone."),
    "library.batch_id_reused": ErrorCode(409, 2, "A batch id names an earlier batch of another file or "
        "source; choose a new id."),
    "library.reader_failed": ErrorCode(500, 2, "The process reading a large file beside the ingest ended or "
        "failed; nothing was written."),
    "backup.file": ErrorCode(400, 2, "The backup file cannot be written there (a folder, or a folder that does "
        "not exist)."),
    "backup.empty": ErrorCode(409, 2, "The database has no tables: there is nothing to back up."),
    "backup.kind": ErrorCode(400, 2, "The file is not a jjjcredit backup, or is a backup of the other kind of "
        "database."),
    "backup.not_empty": ErrorCode(409, 2, "A restore goes only into an empty database."),
    "backup.schema": ErrorCode(409, 2, "A PostgreSQL backup of one schema restores only into a database whose "
        "search_path names it."),
    "backup.damaged": ErrorCode(400, 2, "The SQLite backup file fails its integrity check."),
    "backup.tool_missing": ErrorCode(500, 2, "pg_dump or pg_restore is not installed (PostgreSQL client "
        "programs)."),
    "backup.failed": ErrorCode(500, 2, "pg_dump or pg_restore failed; the message gives its own words."),
    "serve.port_busy": ErrorCode(500, 2, "The port given to `jjjcredit serve` is in use by another program; "
        "choose another with --port."),
    "serve.address": ErrorCode(500, 2, "`jjjcredit serve` cannot listen on the host and port given (unknown "
        "host, port out of range, no right to the port)."),
    "usage": ErrorCode(400, 2, "The command line is not right: a missing argument, an unknown option, a "
        "value out of range."),
    "request.timeout": ErrorCode(408, 2, "A request body that did not arrive whole within "
        "JJJCREDIT_LIMIT_BODY_SECONDS."),
    "request.body_too_large": ErrorCode(413, 2, "A request body over JJJCREDIT_LIMIT_BODY_BYTES (by its "
        "Content-Length, or counted as it streams in); nothing of it was parsed."),
    "request.query_too_long": ErrorCode(414, 2, "A query string over JJJCREDIT_LIMIT_QUERY_STRING_BYTES."),
    "request.path_too_long": ErrorCode(414, 2, "A URL path over JJJCREDIT_LIMIT_PATH_CHARS characters."),
    "request.headers_too_large": ErrorCode(431, 2, "A header over JJJCREDIT_LIMIT_HEADER_BYTES, or the headers "
        "together over JJJCREDIT_LIMIT_HEADERS_BYTES; field names the header."),
    "request.purpose_too_long": ErrorCode(400, 2, "X-Purpose longer than JJJCREDIT_LIMIT_PURPOSE_CHARS characters."),
    "request.too_deep": ErrorCode(400, 2, "JSON nested deeper than JJJCREDIT_LIMIT_JSON_DEPTH levels."),
    "reconcile.too_many": ErrorCode(413, 2, "A reconciliation batch of more queries than "
        "JJJCREDIT_LIMIT_RECONCILE_QUERIES."),
    "reconcile.query_too_long": ErrorCode(400, 2, "A reconciliation query's text longer than "
        "JJJCREDIT_LIMIT_QUERY_CHARS characters."),
    "catalogue.item": ErrorCode(400, 2, "A catalogue item's attribute is missing or not allowed (a statutory "
        "attribute empty, a kind, subject type, disclosure mode, severity or security level outside its list, a "
        "security level that contradicts the disclosure mode); field names the attribute."),
    "catalogue.data": ErrorCode(400, 2, "A catalogue file is not a JSON list of items, or names a directory code twice."),
    "catalogue.severity": ErrorCode(400, 1, "The item does not allow that severity class, or has no publication "
        "period for the decision's date."),
    "catalogue.year": ErrorCode(400, 2, "A catalogue year outside 2000-2100."),
    "catalogue.no_edition": ErrorCode(404, 1, "There is no catalogue edition for that year (or none published yet)."),
    "catalogue.edition_exists": ErrorCode(409, 1, "An edition for that year exists already."),
    "catalogue.unknown_item": ErrorCode(404, 1, "The edition has no item with that directory code (a comment: "
        "nor does it withdraw one)."),
    "catalogue.item_exists": ErrorCode(409, 1, "The edition has an item with that directory code already."),
    "catalogue.status": ErrorCode(409, 1, "The step is not allowed in the edition's current state (draft → comment "
        "→ approved → published)."),
    "catalogue.published": ErrorCode(409, 1, "A published edition never changes; a change goes to next year's draft."),
    "catalogue.reason": ErrorCode(400, 1, "An item added, withdrawn or changed without its reason."),
    "catalogue.assessment": ErrorCode(409, 1, "A contested item (or one of large social impact) has no assessment "
        "record: experts' and representatives' opinions are heard before approval."),
    "catalogue.approver": ErrorCode(400, 2, "Approval needs who approves."),
    "catalogue.own_approval": ErrorCode(403, 1, "Who compiled an edition (drafted it, changed or assessed an item) "
                                        "does not also approve it: compiling and approving are separate (Art. 11)."),
    "catalogue.comment": ErrorCode(400, 2, "A comment needs its author and text, plain (no control characters), of at "
                                   "most 4,000 characters."),
    "catalogue.too_many_comments": ErrorCode(429, 1, "An edition takes at most JJJCREDIT_LIMIT_COMMENTS_PER_DAY "
                                             "comments in 24 hours from one sender (key or address)."),
    "catalogue.no_secret": ErrorCode(503, 2, "A comment's sender is kept only as a keyed hash under the personal "
        "data key, and the server has no operator secret (JJJCREDIT_SIGNING_KEY_SECRET or JJJCREDIT_SIGNING_KEY_FILE): "
        "the API takes no comments (HTTP 503); the rest works."),
    "catalogue.comment_period": ErrorCode(409, 1, "A comment period that ends before it opens, one opened while "
        "another runs, an approval while the comment period set for the edition still runs, or an item added, "
        "changed or withdrawn after it ended (put the edition out for comment again first)."),
    "credit.basic_item": ErrorCode(400, 2, "Registration information goes into the basic resource library (department "
        "record files), not in as credit records."),
    "credit.layout": ErrorCode(400, 2, "A file's header does not fit the catalogue item's layout: a required field "
        "without a column, a field in two columns, or no document number column."),
    "credit.no_catalogue": ErrorCode(409, 2, "No catalogue edition is published: records are submitted under a "
        "published edition's items."),
    "credit.unknown_item": ErrorCode(404, 2, "The catalogue edition in force has no item with that directory code "
                                     "(a package's record new here under one no edition had is refused alone)."),
    "credit.person_with_code": ErrorCode(400, 1, "A natural person's row gives a unified social credit code: a "
                                         "person is identified by the identity number alone, never filed under an "
                                         "organization's code."),
    "credit.amount_unit": ErrorCode(400, 1, "An amount of 万元 written with its unit (元, 万元 or 万): read in 万元, "
                                    "exactly, and the row kept with this warning."),
    "credit.stated_period": ErrorCode(400, 1, "The end of publication a row states (公示截止期) is outside its "
                                      "severity's period (warning: the record is kept, and published until the "
                                      "period's minimum or maximum instead)."),
    "credit.length_kept": ErrorCode(400, 1, "A value longer than the catalogue edition in force allows, sent as its "
                                    "record holds it, kept under an earlier edition's longer limit (warning: the "
                                    "record keeps it; a changed value, or a new record, meets the limit in force)."),
    "credit.withdrawn_item": ErrorCode(409, 2, "The item was withdrawn from the catalogue: nothing new is collected "
                                       "under it (records kept before can still be revoked or corrected); an "
                                       "exchange or federation package's record new here under it is refused alone."),
    "credit.provider": ErrorCode(400, 2, "The provider is not named (1-200 printable characters), or a submission "
        "came without a provider's key."),
    "credit.future_date": ErrorCode(400, 1, "A decision date after today."),
    "credit.subject_code": ErrorCode(400, 1, "The subject's unified social credit code is not valid."),
    "credit.authority_code": ErrorCode(400, 1, "The issuing authority's (or data source's) unified social credit "
        "code is not valid."),
    "credit.identity_number": ErrorCode(400, 1, "An identity number that is not a valid resident identity number "
        "while the card type is the identity card (the value is shown masked)."),
    "credit.severity": ErrorCode(400, 1, "A severity class the catalogue item does not allow."),
    "credit.subject_missing": ErrorCode(400, 1, "A row that does not identify its subject: an organization without "
        "its code, a natural person without an identity number."),
    "credit.subject_type": ErrorCode(400, 1, "A subject type the catalogue item does not cover."),
    "credit.valid_until_before": ErrorCode(400, 1, "Valid-until before the decision date (or before valid-from)."),
    "credit.unknown_organization": ErrorCode(400, 1, "The subject's code is not in the basic resource library (yet): "
        "the record is kept and flagged (warning)."),
    "credit.code_is_identity": ErrorCode(400, 1, "An organization's code that is a resident identity number (a valid "
        "one that also passes a code's checks, or one with a taxpayer number's two digits) and is not in the basic "
        "resource library: a natural person's record is refused rather than published as an organization's."),
    "credit.control_characters": ErrorCode(400, 1, "A text value holds a control or invisible character (a "
        "bidirectional override, a zero width, a line separator) — or a line break in a one-line value (a name, a "
        "number, a code: prose such as the facts keeps its line breaks)."),
    "credit.identity_in_text": ErrorCode(400, 1, "A text value holds what looks like a resident identity number: "
        "kept masked (warning)."),
    "credit.identity_in_document_number": ErrorCode(400, 1, "A document number (决定书文号 / 许可决定文书号) that holds what "
        "looks like a resident identity number: it identifies the record, so the row is rejected, not kept masked."),
    "credit.fine_unit": ErrorCode(400, 1, "A fine (罚款金额, kept in 万元) that is the very figure of 元 处罚内容 states "
        "as the fine: the column was written in 元 and would be published 10,000 times too large."),
    "credit.phone_in_document_number": ErrorCode(400, 1, "A document number (决定书文号 / 许可决定文书号) that holds what "
        "looks like a mobile phone number: it identifies the record, so the row is rejected, not kept masked."),
    "credit.phone_in_text": ErrorCode(400, 1, "A text value holds what looks like a mobile phone number: kept masked "
        "(warning)."),
    "credit.duplicate": ErrorCode(400, 1, "A document number that an earlier row of the same file holds."),
    "credit.other_subject": ErrorCode(409, 1, "A row whose document number names a record the provider keeps "
        "under this item for another credit subject: a file does not move a record to another subject (a "
        "correction of the subject goes through `credit correct`, with a reason; a new decision has its own "
        "document number). The refusal never names or shows that other subject."),
    "credit.corrected_since": ErrorCode(409, 1, "A file sent again (the same bytes as an earlier batch) holds a "
        "record corrected since that batch (warning: the record is left as the correction made it, not set back "
        "to the file's older values)."),
    "credit.no_secret": ErrorCode(503, 2, "Natural persons' identity numbers are kept only sealed, and the platform "
        "has no operator secret (JJJCREDIT_SIGNING_KEY_SECRET or JJJCREDIT_SIGNING_KEY_FILE)."),
    "credit.sealed": ErrorCode(500, 1, "A sealed identity number does not open under this platform's personal data key."),
    "credit.no_batch": ErrorCode(404, 1, "No credit batch has that id."),
    "credit.not_found": ErrorCode(404, 1, "The provider has no record of that item with that document number."),
    "credit.revoked": ErrorCode(409, 1, "The record was revoked already."),
    "credit.decided_before": ErrorCode(400, 2, "A correction or revocation dated before the decision it changes."),
    "credit.reason": ErrorCode(400, 2, "A correction or revocation without its reason, or a provider's retirement "
        "without why or by whom (1-1,000 printable characters, no personal number)."),
    "credit.unknown_pair": ErrorCode(404, 2, "A provider retired under an item it has sent nothing under."),
    "credit.retired": ErrorCode(409, 2, "A provider retired under an item while retired already, or a retirement "
        "ended while the provider is not retired."),
    "credit.sent_meanwhile": ErrorCode(409, 1, "A provider's retirement under an item refused: a batch of the "
        "provider under the item was being written when it was asked for, and committed while it waited."),
    "credit.unknown_field": ErrorCode(400, 2, "A correction names a field the catalogue item does not have."),
    "credit.correction": ErrorCode(400, 1, "A corrected record that does not pass its item's checks: each of the "
                                   "row's problems is named inside, with its own code ([record.date] …)."),
    "credit.identity": ErrorCode(409, 1, "A correction would change the document number that identifies the record."),
    "credit.unchanged": ErrorCode(409, 1, "A correction that changes nothing."),
    "credit.no_sealed_number": ErrorCode(409, 1, "A natural person's record kept under an organization's code holds "
                                         "no sealed identity number to find the person's key by (credit "
                                         "rekey-persons leaves it: the provider revokes it and sends it again)."),
    "credit.from_peer": ErrorCode(409, 1, "A record another node owns (it came by federation): only that node's "
                                  "messages change it (credit rekey-persons leaves it to be repaired there)."),
    "credit.identity_in_url": ErrorCode(400, 2, "An identity number in a URL: subjects are asked for by code or "
        "subject key."),
    "report.not_organization": ErrorCode(400, 2, "Credit reports are issued for organizations only: a natural "
        "person's number or subject key was given."),
    "report.kind": ErrorCode(400, 2, "A report kind other than standard or special."),
    "report.format": ErrorCode(400, 2, "A report format other than json or pdf (the format parameter or the Accept "
        "header)."),
    "report.period": ErrorCode(400, 2, "A special report's period longer than 5 years, ending after today, or "
        "starting after its end."),
    "report.domain": ErrorCode(400, 2, "A special report's domain that is not known."),
    "report.number": ErrorCode(400, 2, "Not a report number (JJJ-YYYY-XXXXXXXX-C), or its check character fails."),
    "report.not_found": ErrorCode(404, 1, "No report with that number was issued by this platform."),
    "report.file": ErrorCode(400, 2, "The file is not a credit report of this platform (no report signature)."),
    "report.altered": ErrorCode(400, 1, "A report file changed after it was issued: its hash, form or signature "
        "does not match (the message says which)."),
    "report.render": ErrorCode(500, 2, "The PDF report cannot be rendered: the CJK font (Debian fonts-wqy-microhei) "
        "or WeasyPrint's libraries are missing."),
    "usage.date": ErrorCode(400, 2, "A date (an option, or a query parameter such as as_of) that is not YYYY-MM-DD."),
    "authorization.terms": ErrorCode(400, 2, "An authorization without its party, purpose, proof or items, naming "
        "an item the catalogue does not have, or valid for a span that ends before it starts or runs too long."),
    "authorization.missing": ErrorCode(404, 1, "No authorization of that id was given by the subject asked about."),
    "authorization.revoked": ErrorCode(403, 1, "The authorization was revoked (the message gives the date)."),
    "authorization.not_yet_valid": ErrorCode(403, 1, "The authorization is not valid yet (the message gives the "
        "first day)."),
    "authorization.expired": ErrorCode(403, 1, "The authorization expired (the message gives the last day)."),
    "authorization.wrong_party": ErrorCode(403, 1, "The authorization was given to another application party than "
        "the caller."),
    "authorization.wrong_item": ErrorCode(403, 1, "The query names a catalogue item the authorization does not "
        "cover."),
    "subjects.code_refused": ErrorCode(401, 1, "A one-time code that is wrong, spent, expired or out of tries (the "
        "one answer to all four, which never tells whether the subject exists)."),
    "subjects.unknown": ErrorCode(404, 1, "A one-time code asked for an organization the library does not hold, or "
        "for a subject that is neither a unified social credit code nor an identity number."),
    "subjects.session_required": ErrorCode(401, 1, "A subject's own view without its session token (header "
        "Authorization: Bearer …, from POST /api/v1/me/session)."),
    "subjects.session_expired": ErrorCode(401, 1, "A subject's session token that is unknown or past its end: open a "
        "new session with a new one-time code."),
    "calendar.year_not_covered": ErrorCode(400, 2, "A working-day count reaches a year whose State Council "
        "holiday notice is not in core/data/working_days.csv; working days are never guessed from weekends: add "
        "the notice."),
    "calendar.data": ErrorCode(400, 2, "core/data/working_days.csv is not a list of dated holidays and make-up "
        "working days (a make-up working day on a weekday, a date listed twice, a row without its notice)."),
    "calendar.days": ErrorCode(400, 2, "A number of working days below 0."),
    "exchange.kind": ErrorCode(400, 2, "--kind is not organizations or credit_records."),
    "exchange.audience": ErrorCode(400, 2, "--audience is not public or government."),
    "exchange.format": ErrorCode(400, 2, "--format is not jsonl, csv, xml or parquet."),
    "exchange.encoding": ErrorCode(400, 2, "--csv-encoding (a CSV package's) is not utf-8-sig (UTF-8 with a byte "
        "order mark) or gb18030."),
    "exchange.scope": ErrorCode(400, 2, "A package scope that is not known or not for the kind: --region (beijing, "
        "tianjin, hebei) and --department (a code's position 1) scope organizations, --item credit records."),
    "exchange.after": ErrorCode(400, 2, "--after below 0 or past this node's sequence for the kind."),
    "exchange.out": ErrorCode(400, 2, "--out is not a folder, or the package's folder exists in it already."),
    "exchange.node": ErrorCode(400, 2, "A node name (JJJCREDIT_NODE, a peer's, a manifest's) that is not a lower-"
        "case word of letters, digits and hyphens."),
    "exchange.peer": ErrorCode(400, 2, "A peer that cannot be added: this node's own name, or a keys file that "
        "holds no Ed25519 public key (save the body of the node's /api/v1/keys)."),
    "exchange.malformed": ErrorCode(400, 1, "A package that is no package: not a folder, a manifest that is not JSON "
        "or lacks a field, a data file that does not read in its format or holds another number of rows."),
    "exchange.unknown_node": ErrorCode(403, 1, "A package from a node that is not among this node's peers: add it "
        "with `exchange peers add NAME --keys FILE` first. Nothing was applied."),
    "exchange.signature": ErrorCode(400, 1, "A package whose manifest's signature does not check with the producing "
        "node's keys (changed after signing, or signed with a key the peer's entry lacks): nothing was applied; or a "
        "receipt whose signature does not check with the receiving node's keys."),
    "exchange.too_large": ErrorCode(413, 2, "A package's file over the size an import reads "
        "(JJJCREDIT_LIMIT_EXCHANGE_FILE_BYTES, 1 GiB by default, and _FILE_ROWS, 1,000,000), its files together over "
        "JJJCREDIT_LIMIT_EXCHANGE_PACKAGE_BYTES (64 GiB), or an export that would need more than 10,000 parts."),
    "exchange.truncated": ErrorCode(400, 1, "A package with its manifest or a file missing, or a file shorter than "
        "its manifest says: copy the whole folder again. Nothing was applied."),
    "exchange.tampered": ErrorCode(400, 1, "A package file whose size or SHA-256 is not what the signed manifest "
        "says: it was changed after signing. Nothing was applied."),
    "exchange.gap": ErrorCode(409, 1, "A delta that does not start where the last package applied from its node "
        "ended (or a delta before any full snapshot): the package in between is missing. Nothing was applied."),
    "exchange.overlap": ErrorCode(409, 1, "A delta that starts inside the range applied from its node already and "
        "reaches past it. Nothing was applied."),
    "exchange.rows": ErrorCode(400, 1, "A package some of whose rows do not pass the checks (each listed in the "
        "receipt as exchange.row). Nothing was applied."),
    "exchange.row": ErrorCode(400, 1, "One row of a package that does not pass its check (in a receipt's problems: "
        "row, field, message)."),
    "exchange.already_applied": ErrorCode(409, 1, "A package whose whole range was applied from its node already: "
        "skipped, nothing changed (the import command says so and exits 0; the receipt's status is skipped)."),
    "exchange.record_id": ErrorCode(409, 1, "A credit record version in a package whose id is not the hash of its "
        "item, provider and document number (core/credit/records.record_id): refused alone, with every version "
        "of the record in the package, and listed in the receipt's refused; the rest of the package applies."),
    "exchange.record_moved": ErrorCode(409, 1, "A credit record version in a package that names another item, "
        "provider or document number than the record held here under its id: a record never changes them; refused "
        "alone, with every version of the record in the package (listed in the receipt's refused), and the record "
        "stays as held."),
    "federation.node": ErrorCode(400, 2, "A federation node whose name is not a region's (beijing, tianjin, hebei) or "
        "a region's followed by a hyphen and a word (hebei-2): a node publishes the organizations of its region."),
    "federation.broker": ErrorCode(503, 1, "The broker (NATS JetStream, JJJCREDIT_NATS_URL) cannot be reached or "
        "refused a publish or a fetch: nothing was lost — the relay's position advances only after the broker's "
        "acknowledgement, the follower's only after it applied a message; run the command again."),
    "federation.message": ErrorCode(400, 1, "A federation message that is no package: no manifest line, a manifest "
        "that is not JSON, or a large package's object missing from the broker's object store. Nothing was applied."),
    "federation.wrong_node": ErrorCode(400, 1, "A package in one node's stream (or from one node's address) signed "
        "as another node's: nothing was applied."),
    "federation.audience": ErrorCode(400, 1, "A federation package for another audience than government sharing "
                                     "(a public package): nodes exchange what government sharing sees."),
    "federation.gap": ErrorCode(409, 1, "A message whose range starts after the last one applied from its node: "
        "the changes in between are missing. Nothing was applied; pull them over HTTPS (`federation pull`)."),
    "federation.after": ErrorCode(400, 2, "A pull's after that is below 0 or past this node's sequence for the "
        "kind."),
    "federation.pull": ErrorCode(502, 1, "A peer's changes could not be pulled over HTTPS: the address cannot be "
        "reached or answered with an error (the message gives its status and error)."),
    "request.bad_characters": ErrorCode(400, 2, "A parameter, header or body field holds a NUL character or a lone "
        "surrogate (half of a UTF-16 pair): no text of the platform can hold one; field says where."),
}


def http_status(code: str) -> int:
    """The HTTP status of ``code`` (500 for a code missing from the table).

    >>> http_status("library.not_found"), http_status("access.rate_limited")
    (404, 429)
    """
    entry = ERROR_CODES.get(code)
    return entry.http_status if entry is not None else 500


def exit_code(code: str) -> int:
    """The command line's exit code for ``code`` (1 for a code missing from the table).

    >>> exit_code("uscc.checksum"), exit_code("crosswalk.source")
    (1, 2)
    """
    entry = ERROR_CODES.get(code)
    return entry.exit_code if entry is not None else 1
