"""Authorizations checked (core/sharing/authorizations.py): the terms of a new one, and every
authorized query — missing, revoked, not yet valid, expired, wrong party, wrong item."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from jjjcredit.core.sharing.authorizations import (
    MAX_DAYS,
    Authorization,
    AuthorizationError,
    check_authorization,
    check_terms,
)

FIRST, LAST = datetime.date(2026, 5, 1), datetime.date(2026, 10, 31)
GIVEN = Authorization("a1", "P:ab", "某银行", "贷款审批", frozenset({"JJJ-03-001", "JJJ-04-001"}), FIRST, LAST,
                      "授权书 1")


def _refused(found: Authorization | None, party: str | None = "某银行", subject: str = "P:ab",
             today: datetime.date = datetime.date(2026, 6, 1), items: tuple[str, ...] = ()) -> AuthorizationError:
    with pytest.raises(AuthorizationError) as exc:
        check_authorization(found, party, subject, today, items)
    return exc.value


def test_a_valid_authorization_opens_the_items_it_names_on_its_first_and_last_day():
    for day in (FIRST, LAST):
        assert check_authorization(GIVEN, "某银行", "P:ab", day, ["JJJ-03-001"]) == GIVEN.items


def test_each_refusal_says_which_rule_failed_and_the_date_where_a_date_decides():
    assert _refused(None).code == "authorization.missing"
    assert _refused(GIVEN, subject="P:cd").code == "authorization.missing"  # another subject's: not told apart
    expired = _refused(GIVEN, today=LAST + datetime.timedelta(days=1))
    assert expired.code == "authorization.expired" and "2026-10-31" in expired.message
    early = _refused(GIVEN, today=FIRST - datetime.timedelta(days=1))
    assert early.code == "authorization.not_yet_valid" and "2026-05-01" in early.message
    assert _refused(GIVEN, party="某保险公司").code == "authorization.wrong_party"
    assert _refused(GIVEN, party=None).code == "authorization.wrong_party"
    wrong = _refused(GIVEN, items=("JJJ-03-002",))
    assert wrong.code == "authorization.wrong_item" and "JJJ-03-002" in wrong.message
    revoked = dataclasses.replace(GIVEN, revoked_on=datetime.date(2026, 6, 1))
    refusal = _refused(revoked)
    assert refusal.code == "authorization.revoked" and "2026-06-01" in refusal.message
    assert check_authorization(revoked, "某银行", "P:ab", datetime.date(2026, 5, 31))  # the day before


def test_the_terms_of_a_new_authorization():
    known = ["JJJ-03-001", "JJJ-03-002"]
    assert check_terms("某银行", "贷款审批", [" JJJ-03-001", ""], FIRST, LAST, "授权书 1", known) == {"JJJ-03-001"}
    for args, field in (((" ", "p", ["JJJ-03-001"], FIRST, LAST, "x"), "party"),
                        (("b", "", ["JJJ-03-001"], FIRST, LAST, "x"), "purpose"),
                        (("b", "p", ["JJJ-03-001"], FIRST, LAST, " "), "proof"),
                        (("b", "p", [], FIRST, LAST, "x"), "items"),
                        (("b", "p", ["JJJ-99-001"], FIRST, LAST, "x"), "items"),
                        (("b", "p", ["JJJ-03-001"], LAST, FIRST, "x"), "valid_until"),
                        (("b", "p", ["JJJ-03-001"], FIRST, FIRST + datetime.timedelta(days=MAX_DAYS), "x"),
                         "valid_until"),
                        (("银" * 201, "p", ["JJJ-03-001"], FIRST, LAST, "x"), "party"),
                        (("b", "p" * 501, ["JJJ-03-001"], FIRST, LAST, "x"), "purpose"),
                        (("b", "p", ["JJJ-03-001"], FIRST, LAST, "x" * 501), "proof")):
        with pytest.raises(AuthorizationError) as exc:
            check_terms(*args, known)  # type: ignore[arg-type]
        assert (exc.value.code, exc.value.field) == ("authorization.terms", field)
