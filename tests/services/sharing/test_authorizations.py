"""Authorizations on a real database (services/sharing/authorizations.py), and the authorized query
through the one redaction point (services/sharing/disclosure.subject_records): opened by a valid
authorization for the caller, refused when missing, expired, for another party or item, or revoked."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jjjcredit.core.credit import persons
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing.authorizations import AuthorizationError
from jjjcredit.services import db
from jjjcredit.services.credit import records as credit_records
from jjjcredit.services.sharing import authorizations, disclosure
from tests.services.credit import credit_files as files

PROTECTOR = persons.Protector(bytes(range(32)))
BANK = access.Caller("某银行", frozenset({"lookup"}), 1)  # no records grant: what it reads, it reads by authorization
TODAY = datetime.date(2026, 6, 1)
ORG = files.codes(1, seed=31)[0]


@pytest.fixture
def ready(engine: Engine, tmp_path: Path) -> Engine:
    """A general penalty (decided 2026-05-20) against a natural person and one against an organization."""
    db.upgrade(engine)
    with engine.begin() as conn:
        files.publish(conn, 2026)
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(None, "罚1"), files.penalty(ORG, "罚2")])
    assert credit_records.ingest_file(engine, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR,
                                      today=TODAY).created == 2
    with engine.begin() as conn:  # received the day it was decided
        conn.execute(text("UPDATE credit_records SET created_at = :m, updated_at = :m"),
                     {"m": datetime.datetime(2026, 5, 20, 2, tzinfo=datetime.UTC)})
    return engine


def _add(engine: Engine, code: str = "", party: str = "某银行", items: tuple[str, ...] = (files.PENALTY,),
         first: datetime.date = datetime.date(2026, 5, 25), last: datetime.date = datetime.date(2026, 11, 24)) -> str:
    with engine.begin() as conn:
        return authorizations.add_authorization(conn, code or files.person(), party, "贷款审批", items, first, last,
                                                "授权书 2026-0001", "某中心", PROTECTOR).id


def _query(engine: Engine, authorization: str | None, code: str = "", caller: access.Caller = BANK,
           today: datetime.date = TODAY, **kw: object) -> dict:
    with engine.begin() as conn:
        return disclosure.subject_records(conn, caller, code or files.person(), PROTECTOR, today=today,
                                          authorization=authorization, **kw)  # type: ignore[arg-type]


def _refusal(engine: Engine, authorization: str | None, **kw: object) -> AuthorizationError:
    with pytest.raises(AuthorizationError) as exc:
        _query(engine, authorization, **kw)  # type: ignore[arg-type]
    assert files.person() not in exc.value.message
    return exc.value


def test_a_valid_authorization_opens_a_natural_persons_records_of_its_items(ready: Engine):
    assert _query(ready, None)["records"] == 0  # without it, nothing: natural persons are never public
    given = _add(ready)
    answer = _query(ready, given)
    record = answer["items"][0]["records"][0]
    assert (record["channel"], record["public"]) == ("authorized_query", False)
    assert files.person() not in json.dumps(answer, ensure_ascii=False)  # level 1: the number stays masked
    assert _query(ready, given, items=frozenset({files.PENALTY}))["records"] == 1
    with ready.connect() as conn:
        stored = conn.execute(text("SELECT subject_key, items, proof FROM authorizations")).one()
        assert stored[0].startswith("P:") and stored[1] == files.PENALTY and files.person() not in str(tuple(stored))
        listed = authorizations.list_authorizations(conn, files.person(), PROTECTOR)
    assert [a.id for a in listed] == [given]


def test_every_authorized_query_is_checked(ready: Engine):
    given = _add(ready)
    assert _refusal(ready, "0" * 32).code == "authorization.missing"
    assert _refusal(ready, given, code=ORG).code == "authorization.missing"  # another subject's
    expired = _refusal(ready, given, today=datetime.date(2026, 11, 25))
    assert expired.code == "authorization.expired" and "2026-11-24" in expired.message
    assert _refusal(ready, given, today=datetime.date(2026, 5, 24)).code == "authorization.not_yet_valid"
    other = access.Caller("某保险公司", frozenset({"lookup"}), 1)
    assert _refusal(ready, given, caller=other).code == "authorization.wrong_party"
    assert _refusal(ready, given, caller=access.PUBLIC).code == "authorization.wrong_party"
    wrong = _refusal(ready, given, items=frozenset({files.LICENCE}))
    assert wrong.code == "authorization.wrong_item" and files.LICENCE in wrong.message
    licence_only = _add(ready, items=(files.LICENCE,))
    assert _query(ready, licence_only)["records"] == 0  # it opens no penalty
    with ready.begin() as conn:
        authorizations.revoke_authorization(conn, given, "本人撤回授权", datetime.date(2026, 7, 1))
        with pytest.raises(AuthorizationError) as twice:
            authorizations.revoke_authorization(conn, given, "x", datetime.date(2026, 7, 2))
        assert twice.value.code == "authorization.revoked"
    assert _query(ready, given, today=datetime.date(2026, 6, 30))["records"] == 1
    revoked = _refusal(ready, given, today=datetime.date(2026, 7, 1))
    assert revoked.code == "authorization.revoked" and "2026-07-01" in revoked.message


def test_terms_are_checked_against_the_catalogue_in_force(ready: Engine):
    with pytest.raises(AuthorizationError) as exc:
        _add(ready, items=("JJJ-99-001",))
    assert exc.value.code == "authorization.terms" and "JJJ-99-001" in exc.value.message
