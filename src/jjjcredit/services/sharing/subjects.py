"""A credit subject's own view: one-time codes, sessions, its records and who looked at it.

:func:`issue_code` makes a one-time code for a subject — a natural person (by identity number) or an
organization (by its unified social credit code, for its registered representative) — kept hashed in
``subject_codes``; the command line prints it, which stands in for the message a deployment sends.
:func:`open_session` spends the code for a session token (kept hashed in ``subject_sessions``);
:func:`caller_of` turns a token back into the subject as a caller of kind ``subject``. The subject
then reads its records through the one redaction point (services/sharing/disclosure.subject_records,
channel ``own``) and its query log (:func:`query_log`): every entry of the hash-chained audit trail
that touched its code or subject key, within the trail's retention (``JJJCREDIT_AUDIT_RETENTION_DAYS``,
default 3,653 days: ten years), newest first — who asked (an application party by name, the staff, the
public by its address class, or the subject itself), for which service and purpose, which catalogue
items, when, and what the answer was.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.credit import persons
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import subjects as rules
from jjjcredit.services.credit import records as credit_records
from jjjcredit.services.library import library
from jjjcredit.storage.schema import audit, audit_subjects, subject_codes, subject_sessions
from jjjcredit.storage.times import utc


@dataclass(frozen=True)
class IssuedCode:
    """A one-time code just made: whose (subject key), the digits (shown once), until when, to whom it
    goes (the person, or the organization's registered representative, name masked)."""

    subject_key: str
    digits: str
    expires_at: datetime.datetime
    sent_to: str


@dataclass(frozen=True)
class Session:
    subject_key: str
    token: str
    expires_at: datetime.datetime


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def subject_of(subject: str, protector: persons.Protector | None) -> str:
    """The subject key of what a subject gives to prove itself: a unified social credit code, an
    identity number (through the personal data key) or a subject key (``P:…``); anything else is
    ``subjects.unknown`` (the message never repeats an identity number)."""
    compact = uscc.compact(subject)
    if not (uscc.is_valid(compact) or ric.is_valid(compact) or subject.strip()[:2].upper() == persons.PERSON_PREFIX):
        raise rules.SubjectError("subjects.unknown", "The subject is given by its unified social credit code (18 "
                                 "characters) or, for a natural person, its identity number: this is neither.",
                                 field="subject")
    return credit_records.subject_key_of(subject, protector)


def _representative(conn: Connection, code: str) -> str:
    values = library.current_elements(conn, code, ("legal_rep",)) or {}
    name = (values.get("legal_rep") or "").strip()
    masked = name[:1] + "*" * max(len(name) - 1, 1) if name else ""
    return f"the registered representative {masked}".rstrip()


def issue_code(conn: Connection, subject: str, protector: persons.Protector | None,
               now: datetime.datetime | None = None) -> IssuedCode:
    """A new one-time code for ``subject``; any earlier code of the subject not used yet is spent. An
    organization must be in the library (its registered representative receives the code)."""
    key = subject_of(subject, protector)
    moment = now or _now()
    if key.startswith(persons.PERSON_PREFIX):
        sent_to = "the person (identity checked)"
    else:
        if library.current_elements(conn, key, ("name",)) is None:
            raise rules.SubjectError("subjects.unknown", f"Organization {key} is not in the basic resource library: "
                                     "its registered representative cannot be reached.", field="subject")
        sent_to = _representative(conn, key)
    conn.execute(update(subject_codes).where(subject_codes.c.subject_key == key, subject_codes.c.used_at.is_(None))
                 .values(used_at=moment))
    code_id, digits = uuid.uuid4().hex, rules.new_code()
    expires_at = rules.expires(moment)
    conn.execute(insert(subject_codes).values(id=code_id, subject_key=key, code_hash=rules.code_hash(code_id, digits),
                                              created_at=moment, expires_at=expires_at, attempts=0))
    return IssuedCode(key, digits, expires_at, sent_to)


def open_session(engine: Engine, subject: str, digits: str, protector: persons.Protector | None,
                 now: datetime.datetime | None = None) -> Session:
    """Spend the subject's one-time code for a session; ``subjects.code_refused`` (one answer for every
    failure) otherwise. A wrong try is counted in its own transaction, so a refusal still counts."""
    moment = now or _now()
    try:
        key = subject_of(subject, protector)
    except (rules.SubjectError, persons.PersonalDataError):
        rules.check_code(None, digits, moment)  # the one refusal: nothing tells what was wrong
        raise
    with engine.begin() as conn:
        row = conn.execute(select(subject_codes).where(subject_codes.c.subject_key == key,
                                                       subject_codes.c.used_at.is_(None))
                           .order_by(subject_codes.c.created_at.desc()).limit(1)).first()
        code = None if row is None else rules.OneTimeCode(row.id, row.subject_key, row.code_hash, utc(row.created_at),
                                                          utc(row.expires_at), None, row.attempts)
        try:
            rules.check_code(code, digits, moment)
        except rules.SubjectError:
            if code is not None:
                conn.execute(update(subject_codes).where(subject_codes.c.id == code.id)
                             .values(attempts=subject_codes.c.attempts + 1))
            failed = True
        else:
            failed = False
            assert code is not None
            spent = conn.execute(update(subject_codes).where(subject_codes.c.id == code.id,
                                                             subject_codes.c.used_at.is_(None))
                                 .values(used_at=moment)).rowcount
            token = rules.new_token()
            ends = rules.session_ends(moment)
            if spent == 1:  # two calls with one code: only one opens a session
                conn.execute(delete(subject_sessions).where(subject_sessions.c.subject_key == key,
                                                            subject_sessions.c.expires_at <= moment))
                conn.execute(insert(subject_sessions).values(token_hash=rules.token_hash(token), subject_key=key,
                                                             created_at=moment, expires_at=ends))
            else:
                failed = True
    if failed:
        rules.check_code(None, digits, moment)
    return Session(key, token, ends)


def caller_of(conn: Connection, token: str, now: datetime.datetime | None = None) -> access.Caller | None:
    """The subject a session token stands for, as a caller of kind ``subject`` (``None``: unknown or
    over)."""
    row = conn.execute(select(subject_sessions.c.subject_key, subject_sessions.c.expires_at)
                       .where(subject_sessions.c.token_hash == rules.token_hash(token))).first()
    if row is None or utc(row.expires_at) <= (now or _now()):
        return None
    return subject_caller(row.subject_key)


def subject_caller(subject_key: str) -> access.Caller:
    """The subject itself as a caller: the ``records`` service, every level (what it sees is its own)."""
    return access.Caller(rules.caller_name(subject_key), frozenset({"records"}), access.TOP_LEVEL, "subject")


def subject_key_of(caller: access.Caller) -> str:
    """The subject key of a caller of kind ``subject``."""
    if caller.kind != "subject" or not (caller.client or "").startswith(rules.SUBJECT_PREFIX):
        raise rules.SubjectError("subjects.session_required", "Only a credit subject in its own session sees its "
                                 "own view.")
    return str(caller.client)[len(rules.SUBJECT_PREFIX):]


#: The most query log entries one answer holds (older ones: ``before=`` the last seq given).
QUERY_PAGE = 500


def query_log(conn: Connection, subject_key: str, retention_days: int, *, before: int | None = None,
              limit: int = QUERY_PAGE, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Who looked at a subject: every audit entry that touched its code or subject key, newest first,
    within the retention period, at most ``limit`` (``before``: only entries before that seq)."""
    since = (now or _now()) - datetime.timedelta(days=retention_days)
    limit = max(1, min(limit, QUERY_PAGE))
    query = (select(audit).join(audit_subjects, audit_subjects.c.seq == audit.c.seq)
             .where(audit_subjects.c.code == subject_key, audit.c.at >= since)
             .order_by(audit.c.seq.desc()).limit(limit))
    if before is not None:
        query = query.where(audit_subjects.c.seq < before)
    entries = [_query(row, subject_key) for row in conn.execute(query).mappings()]
    return {"subject": subject_key, "retention_days": retention_days, "since": since.date().isoformat(),
            "queries": entries, "more": len(entries) == limit}


def _query(row: Any, subject_key: str) -> dict[str, Any]:
    kind = rules.query_kind(row, subject_key)
    who = {"public": row["address_class"] or "unknown", "self": None}.get(kind, row["client"])
    at = utc(row["at"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    items: Sequence[str] = json.loads(row["items"]) if row["items"] else []
    return {"seq": row["seq"], "request_id": row["request_id"], "at": at, "kind": kind, "who": who,
            "service": row["service"], "purpose": row["purpose"], "items": list(items), "method": row["method"],
            "path": row["path"], "status": row["status"], "outcome": row["outcome"]}
