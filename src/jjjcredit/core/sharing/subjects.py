"""A credit subject's own view: how a subject proves who it is, and what its query log says.

A natural person proves its identity by an identity check; an organization through its registered
representative. Both are modelled as a **one-time code** sent to the person or to the representative
(simulated: ``jjjcredit subjects code`` prints it): six digits, valid :data:`CODE_MINUTES` minutes,
spent on first use, refused after :data:`ATTEMPTS` wrong tries. The code opens a **session** of
:data:`SESSION_MINUTES` minutes in which the subject is a caller of kind ``subject``: it sees all its
own records (core/sharing/disclosure.decide_record, channel ``own``) and who looked at it.

Pure: codes are drawn from the randomness given, kept only as a hash, and checked here; the service
keeps them (services/sharing/subjects.py).

>>> issued = datetime.datetime(2026, 6, 1, 8, 0, tzinfo=datetime.UTC)
>>> code = OneTimeCode("c1", "91130100MA0000000X", code_hash("c1", "123456"), issued, expires(issued), None, 0)
>>> check_code(code, "123456", issued + datetime.timedelta(minutes=3))
'91130100MA0000000X'
>>> check_code(code, "654321", issued)
Traceback (most recent call last):
...
jjjcredit.core.sharing.subjects.SubjectError: The one-time code is wrong, spent or expired: ask for a new one (a code is valid 10 minutes, for 5 tries).
>>> query_kind({"client": None, "address_class": "203.0.113.0/24"}, "91130100MA0000000X")
'public'
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jjjcredit.core.errors import Error

#: Digits of a one-time code, minutes it is valid, wrong tries it takes before it is spent.
CODE_DIGITS = 6
CODE_MINUTES = 10
ATTEMPTS = 5
#: Minutes a subject's session lasts.
SESSION_MINUTES = 30
#: The one answer to every refused code: it never tells whether the subject exists, the code was
#: spent, or it expired.
REFUSED = (f"The one-time code is wrong, spent or expired: ask for a new one (a code is valid {CODE_MINUTES} "
           f"minutes, for {ATTEMPTS} tries).")


class SubjectError(Error):
    """A subject's identity not proved, or a session missing or over; ``code`` is one of ``subjects.*``."""


@dataclass(frozen=True)
class OneTimeCode:
    """A one-time code as kept: its id, whose it is (a subject key), the hash of the digits, when it
    was issued and expires, when it was used (``None``: not yet) and how many wrong tries it took."""

    id: str
    subject_key: str
    hash: str
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    used_at: datetime.datetime | None
    attempts: int


def new_code() -> str:
    """Six random digits (from the system's cryptographic source)."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def new_token() -> str:
    """A session token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def code_hash(code_id: str, digits: str) -> str:
    """What is kept of a one-time code: SHA-256 over its id and digits (the id keeps equal digits of two
    codes apart).

    >>> code_hash("c1", "123456") == code_hash("c2", "123456")
    False
    """
    return hashlib.sha256(f"{code_id}:{digits}".encode()).hexdigest()


def token_hash(token: str) -> str:
    """What is kept of a session token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def expires(issued_at: datetime.datetime) -> datetime.datetime:
    return issued_at + datetime.timedelta(minutes=CODE_MINUTES)


def session_ends(opened_at: datetime.datetime) -> datetime.datetime:
    return opened_at + datetime.timedelta(minutes=SESSION_MINUTES)


def check_code(code: OneTimeCode | None, digits: str, now: datetime.datetime) -> str:
    """The subject key a one-time code proves, or :class:`SubjectError` ``subjects.code_refused`` —
    the same answer whether the code is unknown, spent, expired, out of tries or wrong."""
    if code is None or code.used_at is not None or now >= code.expires_at or code.attempts >= ATTEMPTS:
        raise SubjectError("subjects.code_refused", REFUSED, field="code")
    if not hmac.compare_digest(code.hash, code_hash(code.id, digits.strip())):
        raise SubjectError("subjects.code_refused", REFUSED, field="code")
    return code.subject_key


def query_kind(entry: Mapping[str, Any], subject_key: str) -> str:
    """Who made a query, as a subject's log says it: ``self`` (the subject in its own session),
    ``application_party`` (a client, by name), ``staff`` (the platform's operators), or ``public``
    (known by its address class only).

    >>> query_kind({"client": "某银行"}, "P:ab"), query_kind({"client": "subject:P:ab"}, "P:ab")
    ('application_party', 'self')
    """
    client = entry.get("client")
    if client is None:
        return "public"
    if client == SUBJECT_PREFIX + subject_key:
        return "self"
    if str(client).startswith(STAFF_PREFIX):
        return "staff"
    return "application_party"


def caller_name(subject_key: str) -> str:
    """How a subject in its own session is named as a caller and in the audit trail.

    >>> caller_name("91130100MA0000000X")
    'subject:91130100MA0000000X'
    """
    return SUBJECT_PREFIX + subject_key


#: How the command line, run by the platform's staff, is named in the audit trail (``staff:`` and the
#: operator's account name), and how a subject in its own session is; no application party's name
#: starts with either (services/sharing/clients.py refuses it).
STAFF_PREFIX = "staff:"
SUBJECT_PREFIX = "subject:"
RESERVED_PREFIXES = (STAFF_PREFIX, SUBJECT_PREFIX)
