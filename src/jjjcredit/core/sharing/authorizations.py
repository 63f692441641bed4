"""Authorizations: a credit subject's consent that one named application party may query its
records that are not public — for a purpose, for the catalogue items named, from one day to
another, with a reference to its proof (the signed form, its archive number). Querying a natural
person's non-public information needs it (domain.md §4); the subject may revoke it.

Pure: the terms are checked here when an authorization is recorded, and every authorized query is
checked here against the authorization it names (services/sharing/authorizations.py keeps them;
services/sharing/disclosure.py asks before it reads). A refusal says which rule failed, with the date
where a date decides.

>>> a = Authorization("a1", "P:ab", "某银行", "贷款审批", frozenset({"JJJ-03-001"}),
...                   datetime.date(2026, 5, 1), datetime.date(2026, 10, 31), "授权书 2026-0001")
>>> sorted(check_authorization(a, "某银行", "P:ab", datetime.date(2026, 6, 1)))
['JJJ-03-001']
>>> check_authorization(a, "某银行", "P:ab", datetime.date(2026, 11, 1))
Traceback (most recent call last):
...
jjjcredit.core.sharing.authorizations.AuthorizationError: Authorization a1 expired on 2026-10-31; an authorized query needs one valid today (2026-11-01): ask the subject for a new authorization.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from jjjcredit.core.errors import Error

#: The longest a single authorization may run (a setting's default: one year and a day, unconfirmed).
MAX_DAYS = 366
#: The longest party name (the column's width), purpose and proof reference an authorization takes.
MAX_CHARS: dict[str, int] = {"party": 200, "purpose": 500, "proof": 500}


class AuthorizationError(Error):
    """An authorization refused, or terms that cannot be recorded; ``code`` is one of ``authorization.*``."""


@dataclass(frozen=True)
class Authorization:
    """One authorization: whose records (``subject_key``: a code, or a person's keyed hash — never an
    identity number), for whom (``party``: the application party's client name), why, which items, the
    first and last day it is valid, where its proof is kept, and the day it was revoked, if it was."""

    id: str
    subject_key: str
    party: str
    purpose: str
    items: frozenset[str]
    valid_from: datetime.date
    valid_until: datetime.date
    proof: str
    revoked_on: datetime.date | None = None


def check_terms(party: str, purpose: str, items: Iterable[str], valid_from: datetime.date,
                valid_until: datetime.date, proof: str, known_items: Iterable[str]) -> frozenset[str]:
    """The items of an authorization about to be recorded, its terms checked: a party, a purpose, a
    proof reference, at least one item of the catalogue in force, and a validity of at most
    :data:`MAX_DAYS` that does not end before it starts.

    >>> check_terms("某银行", "贷款审批", ["JJJ-09-999"], datetime.date(2026, 5, 1), datetime.date(2026, 6, 1),
    ...             "授权书 1", ["JJJ-03-001"])
    Traceback (most recent call last):
    ...
    jjjcredit.core.sharing.authorizations.AuthorizationError: An authorization names item JJJ-09-999, which the catalogue in force does not have; its items are JJJ-03-001.
    """
    for value, field, what in ((party, "party", "the application party it is given to"),
                               (purpose, "purpose", "the purpose it is given for"),
                               (proof, "proof", "where its proof (the signed form) is kept")):
        if not value.strip():
            raise AuthorizationError("authorization.terms", f"An authorization names {what}; the {field} is empty.",
                                     field=field)
        if len(value) > MAX_CHARS[field]:
            raise AuthorizationError("authorization.terms", f"An authorization's {field} is at most "
                                     f"{MAX_CHARS[field]} characters; this one has {len(value):,}.", field=field)
    chosen = frozenset(i.strip() for i in items if i.strip())
    known = sorted(set(known_items))
    if not chosen:
        raise AuthorizationError("authorization.terms", "An authorization names at least one catalogue item "
                                 f"(of {', '.join(known)}).", field="items")
    for item in sorted(chosen):
        if item not in known:
            raise AuthorizationError("authorization.terms", f"An authorization names item {item}, which the "
                                     f"catalogue in force does not have; its items are {', '.join(known)}.",
                                     field="items")
    if valid_until < valid_from:
        raise AuthorizationError("authorization.terms", f"An authorization valid until {valid_until.isoformat()} "
                                 f"ends before it starts ({valid_from.isoformat()}).", field="valid_until")
    if (valid_until - valid_from).days >= MAX_DAYS:
        raise AuthorizationError("authorization.terms", f"An authorization runs at most {MAX_DAYS} days; "
                                 f"{valid_from.isoformat()} to {valid_until.isoformat()} is longer.",
                                 field="valid_until")
    return chosen


def check_authorization(found: Authorization | None, party: str | None, subject_key: str, today: datetime.date,
                        items: Iterable[str] = ()) -> frozenset[str]:
    """The items an authorized query made today by ``party`` about ``subject_key`` may read, or the
    refusal: none found (or one about another subject — the two are not told apart), revoked, not yet
    valid, expired, given to another party, or not covering an item the query names (``items``).

    >>> a = Authorization("a1", "P:ab", "某银行", "贷款审批", frozenset({"JJJ-03-001"}),
    ...                   datetime.date(2026, 5, 1), datetime.date(2026, 10, 31), "授权书 1")
    >>> check_authorization(a, "某保险公司", "P:ab", datetime.date(2026, 6, 1))
    Traceback (most recent call last):
    ...
    jjjcredit.core.sharing.authorizations.AuthorizationError: Authorization a1 was not given to the party whose key made this call; an authorized query is made with the key of the party the authorization names.
    """
    if found is None or found.subject_key != subject_key:
        raise AuthorizationError("authorization.missing", "No authorization with that id was given by this "
                                 "subject: check the id the subject's authorization was recorded under.",
                                 field="authorization")
    if found.revoked_on is not None and found.revoked_on <= today:
        raise AuthorizationError("authorization.revoked", f"Authorization {found.id} was revoked on "
                                 f"{found.revoked_on.isoformat()}; ask the subject for a new one.",
                                 field="authorization")
    if today < found.valid_from:
        raise AuthorizationError("authorization.not_yet_valid", f"Authorization {found.id} is valid from "
                                 f"{found.valid_from.isoformat()}, not yet today ({today.isoformat()}).",
                                 field="authorization")
    if today > found.valid_until:
        raise AuthorizationError("authorization.expired", f"Authorization {found.id} expired on "
                                 f"{found.valid_until.isoformat()}; an authorized query needs one valid today "
                                 f"({today.isoformat()}): ask the subject for a new authorization.",
                                 field="authorization")
    if party is None or party != found.party:
        raise AuthorizationError("authorization.wrong_party", f"Authorization {found.id} was not given to the party "
                                 "whose key made this call; an authorized query is made with the key of the party "
                                 "the authorization names.", field="authorization")
    outside = sorted(set(items) - found.items)
    if outside:
        raise AuthorizationError("authorization.wrong_item", f"Authorization {found.id} covers "
                                 f"{', '.join(sorted(found.items))}, not {', '.join(outside)}; ask the subject to "
                                 "authorize that item.", field="item")
    return found.items
