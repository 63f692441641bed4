"""A credit subject's own view on a real database (services/sharing/subjects.py): one-time codes spent
once, refused when wrong, out of tries, expired or replaced; sessions that end; the subject's own
records through the redaction point (channel ``own``, identity numbers in clear); the query log read
from the hash-chained audit trail, within its retention, and purged with it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jjjcredit.core.credit import persons
from jjjcredit.core.sharing import subjects as rules
from jjjcredit.core.sharing.subjects import SubjectError
from jjjcredit.services import db
from jjjcredit.services.credit import records as credit_records
from jjjcredit.services.library import library
from jjjcredit.services.sharing import audit, disclosure, subjects
from jjjcredit.storage.schema import audit_subjects
from tests.services.credit import credit_files as files
from tests.services.library import library_files

PROTECTOR = persons.Protector(bytes(range(32)))
ORG = files.codes(1, seed=37)[0]
T0 = datetime.datetime(2026, 6, 1, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def ready(engine: Engine, tmp_path: Path) -> Engine:
    """The organization in the library, a penalty against it and one against a natural person."""
    db.upgrade(engine)
    library.ingest_file(engine, str(library_files.organizations(tmp_path / "o.csv", [ORG], date="2020-01-01")),
                        "hebei/market-regulation")
    with engine.begin() as conn:
        files.publish(conn, 2026)
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(None, "罚1"), files.penalty(ORG, "罚2")])
    assert credit_records.ingest_file(engine, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR,
                                      today=datetime.date(2026, 6, 1)).created == 2
    return engine


def _issue(engine: Engine, subject: str, at: datetime.datetime = T0) -> subjects.IssuedCode:
    with engine.begin() as conn:
        return subjects.issue_code(conn, subject, PROTECTOR, at)


def _refused(engine: Engine, subject: str, digits: str, at: datetime.datetime = T0) -> None:
    with pytest.raises(SubjectError) as refused:
        subjects.open_session(engine, subject, digits, PROTECTOR, at)
    assert refused.value.code == "subjects.code_refused" and files.person() not in str(refused.value)


def test_a_code_opens_one_session_for_its_subject(ready: Engine):
    issued = _issue(ready, ORG)
    assert issued.subject_key == ORG and issued.sent_to.startswith("the registered representative ")
    session = subjects.open_session(ready, ORG, issued.digits, PROTECTOR, T0 + datetime.timedelta(minutes=1))
    assert session.subject_key == ORG
    with ready.begin() as conn:
        caller = subjects.caller_of(conn, session.token, T0 + datetime.timedelta(minutes=29))
        assert caller is not None and caller.kind == "subject" and subjects.subject_key_of(caller) == ORG
        assert subjects.caller_of(conn, session.token, T0 + datetime.timedelta(minutes=32)) is None  # over
        assert subjects.caller_of(conn, "not-a-token", T0) is None
    _refused(ready, ORG, issued.digits, T0 + datetime.timedelta(minutes=2))  # spent


def test_a_person_proves_itself_by_identity_number(ready: Engine):
    issued = _issue(ready, files.person())
    assert issued.subject_key.startswith(persons.PERSON_PREFIX) and files.person() not in issued.sent_to
    session = subjects.open_session(ready, files.person(), issued.digits, PROTECTOR, T0)
    assert session.subject_key == issued.subject_key


def test_wrong_tries_count_and_spend_the_code(ready: Engine):
    issued = _issue(ready, ORG)
    wrong = "000000" if issued.digits != "000000" else "111111"
    for _ in range(rules.ATTEMPTS):
        _refused(ready, ORG, wrong)
    _refused(ready, ORG, issued.digits)  # the right one, too late: out of tries


def test_an_expired_or_replaced_code_is_refused(ready: Engine):
    first = _issue(ready, ORG)
    _refused(ready, ORG, first.digits, T0 + datetime.timedelta(minutes=rules.CODE_MINUTES))
    second = _issue(ready, ORG, T0 + datetime.timedelta(minutes=1))
    third = _issue(ready, ORG, T0 + datetime.timedelta(minutes=2))
    if second.digits != third.digits:
        _refused(ready, ORG, second.digits, T0 + datetime.timedelta(minutes=3))
    assert subjects.open_session(ready, ORG, third.digits, PROTECTOR, T0 + datetime.timedelta(minutes=3))


def test_unknown_subjects_are_refused_alike(ready: Engine):
    with pytest.raises(SubjectError) as unknown:
        _issue(ready, files.codes(2, seed=99)[1])  # a valid code the library does not hold
    assert unknown.value.code == "subjects.unknown"
    with pytest.raises(SubjectError) as neither:
        _issue(ready, "not a code")
    assert neither.value.code == "subjects.unknown"
    _refused(ready, "not a code", "123456")  # the session's one refusal, whatever was wrong
    _refused(ready, files.codes(2, seed=99)[1], "123456")


def test_the_subject_sees_all_its_own_records_with_identity_numbers(ready: Engine):
    issued = _issue(ready, files.person())
    caller = subjects.subject_caller(issued.subject_key)
    with ready.begin() as conn:
        own = disclosure.subject_records(conn, caller, issued.subject_key, PROTECTOR)
        other = disclosure.subject_records(conn, caller, ORG, PROTECTOR)
    record = own["items"][0]["records"][0]
    assert own["records"] == 1 and record["channel"] == "own" and record["values"]["证件号码"] == files.person()
    assert record["public"] is False  # a natural person's record is never public, and the subject is told so
    # another subject's records: only what the public sees of them
    assert [r["channel"] for g in other["items"] for r in g["records"]] == ["public_disclosure"]


def _entry(code: str, i: int, at: datetime.datetime, client: str | None = "某银行",
           **more: object) -> dict[str, object]:
    return {"at": at, "request_id": f"r{i}", "client": client, "service": "records", "purpose": "贷款审批",
            "method": "GET", "path": f"/api/v1/subjects/{code}/records", "codes": [code], "status": 200,
            "outcome": "ok", "latency_ms": 1.0, **more}


def test_the_query_log_lists_every_entry_about_the_subject_within_retention(ready: Engine):
    now = T0 + datetime.timedelta(days=3)
    with ready.begin() as conn:
        audit.append_entries(conn, [
            _entry(ORG, 1, T0 - datetime.timedelta(days=40), items=["JJJ-03-001"]),
            _entry(ORG, 2, T0, client=None, address_class="203.0.113.0/24"),
            _entry("91110000000000000X", 3, T0),  # someone else
            _entry(ORG, 4, T0, client=rules.caller_name(ORG)),
            _entry(ORG, 5, T0, client="staff:operator")])
        log = subjects.query_log(conn, ORG, retention_days=30, now=now)
        assert [(q["seq"], q["kind"], q["who"]) for q in log["queries"]] == [
            (5, "staff", "staff:operator"), (4, "self", None), (2, "public", "203.0.113.0/24")]
        everything = subjects.query_log(conn, ORG, retention_days=3653, now=now)["queries"]
        assert [q["seq"] for q in everything] == [5, 4, 2, 1] and everything[-1]["items"] == ["JJJ-03-001"]
        assert [q["seq"] for q in subjects.query_log(conn, ORG, 3653, before=4, limit=1, now=now)["queries"]] == [2]
        assert audit.verify_trail(conn) == []
        # the purge of the trail takes the index along
        assert audit.purge_older_than(conn, T0 - datetime.timedelta(days=1)) == 1
        assert conn.execute(select(func.min(audit_subjects.c.seq))).scalar_one() == 2
        assert audit.verify_trail(conn) == []


def test_the_query_log_gives_times_in_utc_whatever_the_sessions_zone(ready: Engine):
    with ready.begin() as conn:
        audit.append_entries(conn, [_entry(ORG, 1, T0)])
        if conn.dialect.name == "postgresql":  # a server set to Beijing time answers in it
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Shanghai'")
        (entry,) = subjects.query_log(conn, ORG, retention_days=30, now=T0)["queries"]
        assert entry["at"] == T0.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
