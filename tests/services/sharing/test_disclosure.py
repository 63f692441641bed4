"""The one disclosure rule: which elements each kind of caller at each level sees, which are masked,
and the readers every channel uses (on both databases)."""

from __future__ import annotations

import datetime
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from jjjcredit.core.codes import uscc
from jjjcredit.core.credit import catalogue, persons
from jjjcredit.core.library import elements, records
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing.disclosure import IDENTITY, view_of
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.credit import corrections
from jjjcredit.services.credit import records as credit_records
from jjjcredit.services.library import library, search
from jjjcredit.services.sharing import disclosure, subjects
from tests.services.credit import credit_files
from tests.services.library import library_files as files

CLIENTS = [access.Caller(f"c{n}", frozenset({"lookup"}), n) for n in elements.SECURITY_LEVELS]
SUBJECT = access.Caller("subject", frozenset({"lookup"}), 3, "subject")


@pytest.mark.parametrize("caller", [access.PUBLIC, *CLIENTS, access.STAFF, SUBJECT], ids=lambda c: f"{c.kind}{c.level}")
def test_each_element_is_shown_up_to_the_callers_level_and_personal_data_masked_only_for_staff(caller: access.Caller):
    view = view_of(caller)
    level = {"public": 1, "subject": 1}.get(caller.kind, caller.level)  # a subject's own view is still to come
    assert view.shown == set(IDENTITY) | {e.name for e in elements.ELEMENTS if e.security_level <= level}
    assert list(view.elements) == [e.name for e in elements.ELEMENTS if e.name in view.shown and e.name != "uscc"]
    personal = {e.name for e in elements.ELEMENTS if e.personal}
    assert view.masked == (personal if caller.kind == "staff" else set())
    values = {e.name: f"值{e.identifier}-11010519491231002X" for e in elements.ELEMENTS} | {"fingerprint": "f"}
    seen = view.record(values)
    assert set(seen) == view.shown - {"authority_region"}
    for name, value in seen.items():
        assert value == (records.mask_personal(values[name]) if name in view.masked else values[name])
        assert (value == values[name]) is (name not in view.masked)


def test_personal_data_is_identity_numbers_telephones_and_contacts():
    assert {e.name for e in elements.ELEMENTS if e.personal} == {"legal_rep_id_number", "telephone", "contact"}
    assert {e.name for e in elements.ELEMENTS if e.security_level == 3} == {"legal_rep_id_number"}


def test_a_view_is_decided_once_per_kind_and_level():
    assert view_of(CLIENTS[2]) is view_of(access.client_at(3)) is view_of(access.Caller("other", frozenset(), 3))
    assert view_of(CLIENTS[0]) is view_of(access.PUBLIC)
    assert view_of(access.Caller("x", frozenset(), 9)) is view_of(CLIENTS[2])  # above the top: the top


def test_changes_and_conflicts_keep_only_shown_elements_masked_as_the_view_says():
    items = [{"element": "name", "old": "甲", "new": "乙"},
             {"element": "legal_rep_id_number", "old": None, "new": "11010519491231002X"},
             {"element": "telephone", "old": "0311-60000001", "new": "0311-60000002"}]
    assert disclosure.disclose_changes(access.PUBLIC, [{"seq": 1, "elements": items}]) == \
        [{"seq": 1, "elements": items[:1]}]
    assert view_of(CLIENTS[1]).changes(items) == [items[0], items[2]]
    staff = view_of(access.STAFF).changes(items)
    assert staff[1] == {"element": "legal_rep_id_number", "old": None, "new": "110105********002X"}
    assert "0311-60000002" not in json.dumps(staff)
    conflict = [{"element": "telephone", "kept_value": "0311-60000001", "other_value": "0311-60000002"}]
    assert view_of(CLIENTS[2]).changes(conflict, values=("kept_value", "other_value")) == conflict
    masked = view_of(access.STAFF).changes(conflict, values=("kept_value", "other_value"))
    assert "0311-6000000" not in json.dumps(masked) and masked[0]["kept_value"] == "031160**0001"
    with pytest.raises(ValueError, match="credit_record"):
        view_of(access.PUBLIC).fields("credit_record")


@pytest.fixture
def lib(engine: Engine, tmp_path: Path) -> tuple[Engine, list[str]]:
    db.upgrade(engine)
    codes = files.codes(4)
    library.ingest_file(engine, str(files.organizations(tmp_path / "a.csv", codes, date="2020-01-01")),
                        "hebei/market-regulation")
    library.ingest_file(engine, str(files.organizations(tmp_path / "b.csv", codes[:1], date="2024-07-01", revision=1)),
                        "hebei/market-regulation")
    return engine, codes


def _values(data: object, code: str, revision: int = 0) -> set[str]:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return {k for k, v in files.restricted(code, revision).items() if v in text}


def test_every_reader_gives_what_the_caller_sees(lib: tuple[Engine, list[str]]):
    engine, codes = lib
    code = codes[0]
    with engine.connect() as conn:
        level_2 = {"telephone", "contact", "shareholder"}
        for caller, clear in ((access.PUBLIC, set()), (CLIENTS[0], set()), (CLIENTS[1], level_2),
                              (CLIENTS[2], level_2 | {"legal_rep_id_number"}), (access.STAFF, {"shareholder"})):
            view = view_of(caller)
            found = disclosure.lookup_organization(conn, caller, code)
            assert found is not None and set(found) == view.shown & ({"uscc"} | set(library.ELEMENT_NAMES)) - {
                e.name for e in elements.ELEMENTS if found.get(e.name) is None}
            assert _values(found, code, 1) == clear
            for revision in (0, 1):
                assert _values(disclosure.organization_history(conn, caller, code), code, revision) == clear
                assert _values(disclosure.changes_after(conn, caller, 0), code, revision) == clear
                assert _values(disclosure.show_organization(conn, caller, code), code, revision) == clear
            hits = disclosure.search_organizations(conn, caller, "石家庄某某0机械制造有限公司")
            assert hits[0].code == code and _values([h.organization for h in hits], code, 1) == clear
            completed = disclosure.autocomplete(conn, caller, "石家庄某某0")
            assert _values([h.organization for h in completed], code, 1) == clear
        assert disclosure.lookup_organization(conn, access.PUBLIC, "91350100M000100Y43") is None
        assert disclosure.organization_history(conn, access.PUBLIC, "91350100M000100Y43") is None
        assert disclosure.show_organization(conn, access.STAFF, "91350100M000100Y43") is None
        raw = search.search_organizations(conn, "石家庄某某0机械制造有限公司")
        assert _values([h.organization for h in raw], code, 1) == set(files.restricted(code))  # the reads hold it all


# --- credit records: public windows, channels, as of a day (services/sharing/disclosure.subject_records) ---

DECIDED = datetime.date(2026, 4, 10)  # a serious penalty: public for 36 months, to 2029-04-10
LAST, AFTER = datetime.date(2029, 4, 10), datetime.date(2029, 4, 11)
#: ... then shared among government departments 60 months more (the platform's default), to 2034-04-10.
SHARED_LAST, ARCHIVED = datetime.date(2034, 4, 10), datetime.date(2034, 4, 11)
PROTECTOR = persons.Protector(bytes(range(32)))
GOVERNMENT = access.Caller("某局", frozenset({"records"}), 2)
BUREAU = access.Caller("某协会", frozenset({"records"}), 1)
ORGS = credit_files.codes(2, seed=11)
#: When each version reached the platform (UTC): received 2026-04-12, corrected 2026-06-01, revoked 2026-08-01.
RECEIVED = datetime.datetime(2026, 4, 12, 2, 0, tzinfo=datetime.UTC)
CORRECTED = datetime.datetime(2026, 6, 1, 2, 0, tzinfo=datetime.UTC)
REVOKED = datetime.datetime(2026, 8, 1, 2, 0, tzinfo=datetime.UTC)


def _serious(code: str | None, number: str) -> dict[str, str]:
    return credit_files.penalty(code, number, 处罚决定日期=DECIDED.isoformat(), 失信严重程度="严重")


def _stamp(engine: Engine, moments: dict[int, datetime.datetime]) -> None:
    """Set when each version arrived (the platform's clock wrote the moment of the test run)."""
    with engine.begin() as conn:
        for version, moment in moments.items():  # a replaced version, or the current row's
            conn.execute(text("UPDATE credit_record_versions SET at = :m WHERE version = :v"),
                         {"m": moment, "v": version})
            conn.execute(text("UPDATE credit_records SET created_at = :first, updated_at = :m WHERE version = :v"),
                         {"first": moments[1], "m": moment, "v": version})


@pytest.fixture
def penalties(engine: Engine, tmp_path: Path) -> Engine:
    """A serious penalty decided 2026-04-10 against an organization and one against a natural person."""
    db.upgrade(engine)
    with engine.begin() as conn:
        credit_files.publish(conn, 2026)
    path = credit_files.write_csv(tmp_path / "p.csv", [_serious(ORGS[0], "罚1"), _serious(None, "罚2")])
    summary = credit_records.ingest_file(engine, str(path), credit_files.PENALTY, credit_files.PROVIDER,
                                         protector=PROTECTOR, today=datetime.date(2026, 4, 12))
    assert summary.created == 2
    _stamp(engine, {1: RECEIVED})
    return engine


def _records(engine: Engine, caller: access.Caller, code: str, **day: datetime.date) -> dict[str, Any]:
    with engine.begin() as conn:
        return disclosure.subject_records(conn, caller, code, PROTECTOR, **day)  # type: ignore[arg-type]


def test_a_record_past_its_maximum_period_leaves_every_public_channel_and_stays_for_government_sharing(
        penalties: Engine):
    for caller in (access.PUBLIC, BUREAU, access.Caller("核验方", frozenset({"verify"}), 3)):
        on_last = _records(penalties, caller, ORGS[0], today=LAST)
        record = on_last["items"][0]["records"][0]
        assert (record["channel"], record["public"], record["public_until"]) == \
            ("public_disclosure", True, "2029-04-10")
        assert record["history"] == []  # the public reads a record as it stands
        assert _records(penalties, caller, ORGS[0], today=AFTER)["records"] == 0
    for caller, channel in ((GOVERNMENT, "government_sharing"), (access.STAFF, "staff")):
        shared = _records(penalties, caller, ORGS[0], today=AFTER)["items"][0]["records"][0]
        assert (shared["channel"], shared["public"], shared["public_until"], shared["shared_until"]) == \
            (channel, False, "2029-04-10", "2034-04-10")
        assert shared["history"][0]["action"] == "created"


def test_a_record_leaves_government_sharing_the_day_after_its_sharing_period_and_stays_archived(
        penalties: Engine):
    """Public to 2029-04-10, shared to 2034-04-10 (60 months after the window), then archived: the
    staff still read it; no application party does, whatever its level or an authorization."""
    number = credit_files.person()
    top = access.Caller("法院", frozenset({"records"}), 3)
    for caller in (GOVERNMENT, top):
        for code in (ORGS[0], number):
            last = _records(penalties, caller, code, today=SHARED_LAST)["items"][0]["records"][0]
            assert (last["channel"], last["public"], last["shared_until"]) == \
                ("government_sharing", False, "2034-04-10")
            assert _records(penalties, caller, code, today=ARCHIVED) == {
                "subject": _records(penalties, access.STAFF, code, today=ARCHIVED)["subject"],
                "as_of": "2034-04-11", "items": [], "records": 0}
            # as of a day: the same question asked later about a day inside or past the sharing period
            assert _records(penalties, caller, code, as_of=SHARED_LAST, today=ARCHIVED)["records"] == 1
            assert _records(penalties, caller, code, as_of=ARCHIVED, today=ARCHIVED)["records"] == 0
            assert _records(penalties, caller, code, as_of=AFTER, today=datetime.date(2040, 1, 1))["records"] == 1
    archived = _records(penalties, access.STAFF, ORGS[0], today=ARCHIVED)["items"][0]["records"][0]
    assert (archived["channel"], archived["public"], archived["shared_until"]) == ("staff", False, "2034-04-10")
    assert archived["values"]["处罚内容"] and archived["history"][0]["action"] == "created"


def test_the_public_gets_nothing_about_a_natural_person_and_the_same_answer_whether_records_exist(
        penalties: Engine):
    number, stranger = credit_files.person(), credit_files.person(seq=456)
    with penalties.connect() as conn:
        key = conn.execute(text("SELECT subject_key FROM credit_records WHERE subject_type = 'natural_person'")
                           ).scalar_one()
    answers = [_records(penalties, access.PUBLIC, c, today=DECIDED) for c in (number, stranger, key)]
    assert answers[0] == answers[1] == answers[2] == {"subject": None, "as_of": "2026-04-10", "items": [],
                                                      "records": 0}
    with penalties.begin() as conn:  # without the personal data key too: no error that tells anything
        assert disclosure.subject_records(conn, access.PUBLIC, number, None, today=DECIDED)["records"] == 0
    assert _records(penalties, BUREAU, key, today=DECIDED)["records"] == 0
    shared = _records(penalties, GOVERNMENT, number, today=AFTER)
    assert shared["records"] == 1 and number not in json.dumps(shared, ensure_ascii=False)
    top = _records(penalties, access.Caller("法院", frozenset({"records"}), 3), key, today=AFTER)
    assert top["items"][0]["records"][0]["values"]["证件号码"] == number


def test_a_person_s_record_kept_under_an_organization_s_code_never_opens_the_number_for_that_organization(
        penalties: Engine):
    """A natural person's record filed under an organization's code, as rows that named both were before they
    were refused (planted as the old ingest wrote it): the organization's own view does not show it, let alone
    open the number; the staff and a level-2 party read it masked; a party at the top level reads the number
    as it reads any person's — opened by who the caller is entitled to, never by the key matching a code."""
    number = credit_files.person()
    with penalties.begin() as conn:
        credit_files.file_under_code(conn, "罚2", ORGS[0])
    day = datetime.date(2026, 5, 1)
    own = _records(penalties, subjects.subject_caller(ORGS[0]), ORGS[0], today=day)
    assert [r["document_number"] for i in own["items"] for r in i["records"]] == ["罚1"]
    assert number not in json.dumps(own, ensure_ascii=False)
    for caller in (access.STAFF, GOVERNMENT):
        seen = _records(penalties, caller, ORGS[0], today=day)
        assert seen["records"] == 2 and number not in json.dumps(seen, ensure_ascii=False)
    top = _records(penalties, access.Caller("法院", frozenset({"records"}), 3), ORGS[0], today=day)
    person = next(r for i in top["items"] for r in i["records"] if r["document_number"] == "罚2")
    assert (person["channel"], person["values"]["证件号码"]) == ("government_sharing", number)
    assert _records(penalties, access.PUBLIC, ORGS[0], today=day)["records"] == 1  # never a natural person's


def test_a_person_s_record_corrected_into_an_organization_s_keeps_the_person_s_number_from_that_organization(
        penalties: Engine):
    """A natural person's record corrected to be an organization's (the provider named the wrong party): the
    record and its history are the organization's now, but its earlier version is about the person — its
    identity number opens only as any person's does (a party at the top level), never for the organization
    itself."""
    number = credit_files.person()
    with penalties.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚2", {
            "行政相对人类别": "法人及非法人组织", "统一社会信用代码": ORGS[1], "行政相对人名称": "某某科技有限公司",
            "法定代表人": "王五", "证件类型": "", "证件号码": ""}, "当事人认定错误", datetime.date(2026, 4, 20),
            protector=PROTECTOR, today=datetime.date(2026, 4, 21))
    day = datetime.date(2026, 5, 1)
    own = _records(penalties, subjects.subject_caller(ORGS[1]), ORGS[1], today=day)
    record = own["items"][0]["records"][0]
    assert (record["document_number"], record["channel"], record["version"]) == ("罚2", "own", 2)
    assert number not in json.dumps(own, ensure_ascii=False)
    top = _records(penalties, access.Caller("法院", frozenset({"records"}), 3), ORGS[1], today=day)
    assert number in json.dumps(top, ensure_ascii=False)  # (entitled to any person's number)


def test_as_of_a_day_each_record_is_shown_as_it_stood(penalties: Engine):
    with penalties.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚1", {"处罚内容": "警告"},
                                   "更正笔误", datetime.date(2026, 5, 30), protector=PROTECTOR,
                                   today=datetime.date(2026, 6, 1))
        corrections.revoke_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚1", "复议撤销",
                                  datetime.date(2026, 7, 30), today=datetime.date(2026, 8, 1))
    _stamp(penalties, {1: RECEIVED, 2: CORRECTED, 3: REVOKED})
    today = datetime.date(2026, 12, 1)

    def seen(caller: access.Caller, day: str) -> list[dict[str, Any]]:
        found = _records(penalties, caller, ORGS[0], as_of=datetime.date.fromisoformat(day), today=today)
        assert found["as_of"] == day
        return [r for i in found["items"] for r in i["records"]]

    assert seen(access.PUBLIC, "2026-04-11") == [] and seen(GOVERNMENT, "2026-04-11") == []  # not received yet
    first = seen(GOVERNMENT, "2026-04-12")[0]  # 10:00 in Beijing
    assert (first["version"], first["status"], first["values"]["处罚内容"]) == (1, "in_force", "警告，罚款人民币2万元")
    corrected = seen(GOVERNMENT, "2026-07-01")[0]
    assert (corrected["version"], corrected["values"]["处罚内容"]) == (2, "警告")
    assert [h["action"] for h in corrected["history"]] == ["corrected", "created"]
    assert seen(access.PUBLIC, "2026-08-01") == []  # revoked: not public
    revoked = seen(GOVERNMENT, "2026-08-01")[0]
    assert (revoked["status"], revoked["revoked_on"], revoked["channel"]) == ("revoked", "2026-07-30",
                                                                            "government_sharing")
    assert seen(GOVERNMENT, "2026-07-31")[0]["status"] == "in_force"
    # revoked since: withdrawn from public view (Administrative Penalty Law Art. 48), for any day asked about
    assert seen(access.PUBLIC, "2026-07-31") == [] and seen(access.PUBLIC, "2026-04-12") == []
    assert [r["version"] for r in seen(GOVERNMENT, "2026-04-09")] == []  # before the decision


def test_a_page_of_a_subjects_records_is_that_slice_of_the_whole_answer(engine: Engine, tmp_path: Path):
    """A page is built alone (only its records' versions read, on today's question), and is exactly the slice of
    the whole answer it names, item by item, newest first, histories and all — for every caller and any day."""
    db.upgrade(engine)
    with engine.begin() as conn:
        credit_files.publish(conn, 2026)
    rng = random.Random(3)
    days = [DECIDED - datetime.timedelta(days=rng.randrange(300)) for _ in range(23)]
    rows = [credit_files.penalty(ORGS[0], f"罚{n}", 处罚决定日期=day.isoformat(),
                                 失信严重程度=rng.choice(["一般", "严重"])) for n, day in enumerate(days)]
    path = credit_files.write_csv(tmp_path / "p.csv", rows)
    assert credit_records.ingest_file(engine, str(path), credit_files.PENALTY, credit_files.PROVIDER,
                                      protector=PROTECTOR, today=datetime.date(2026, 4, 12)).created == 23
    with engine.begin() as conn:  # versions for some: corrected, one revoked
        for n in (0, 5, 5, 17):
            corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, f"罚{n}",
                                       {"处罚内容": f"警告{rng.random()}"}, "更正", datetime.date(2026, 5, 1),
                                       protector=PROTECTOR, today=datetime.date(2026, 5, 2))
        corrections.revoke_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚9", "撤销",
                                  datetime.date(2026, 5, 3), today=datetime.date(2026, 5, 4))
    today = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)
    for caller in (access.PUBLIC, GOVERNMENT, access.Caller("主管", frozenset({"records"}), 3)):
        for day in ({}, {"as_of": today}):  # (the versions were written at the moment of the run)
            with engine.begin() as conn:
                whole = disclosure.subject_records(conn, caller, ORGS[0], PROTECTOR, today=today, **day)
                flat = [(i["item"], r) for i in whole["items"] for r in i["records"]]
                assert whole["records"] == len(flat) > 10
                for offset, limit in ((0, 5), (5, 5), (20, 7), (0, 100), (len(flat), 3), (len(flat) + 9, 1)):
                    page = disclosure.subject_records(conn, caller, ORGS[0], PROTECTOR, today=today,
                                                      page=(offset, limit), **day)
                    assert [(i["item"], r) for i in page["items"] for r in i["records"]] == flat[offset:offset + limit]
                    assert page["records"] == len(flat) and page["returned"] == len(flat[offset:offset + limit])
                    assert page["next_offset"] == (offset + limit if offset + limit < len(flat) else None)
                    assert all(i["records"] for i in page["items"])
            if caller is not access.PUBLIC:
                assert any(len(r["history"]) > 2 for _, r in flat), caller


def test_a_personal_number_left_in_stored_text_is_masked_for_whoever_may_not_read_it(penalties: Engine):
    """A record kept before every way of writing a number was masked at ingest (or sent by another node)."""
    with penalties.begin() as conn:
        row = conn.execute(text("SELECT id, data FROM credit_records WHERE document_number = '罚1'")).one()
        data = json.loads(row.data) | {"CF_NR": "警告；举报人电话 138 1234 5678，身份证 130102 1985 0505 9977"}
        conn.execute(text("UPDATE credit_records SET data = :data, reason = :reason WHERE id = :id"),
                     {"data": json.dumps(data, ensure_ascii=False), "id": row.id, "reason": "补录 13812345678"})
    top = access.Caller("法院", frozenset({"records"}), 3)
    seen = {caller.client: _records(penalties, caller, ORGS[0])["items"][0]["records"][0]
            for caller in (access.PUBLIC, GOVERNMENT, top)}
    assert seen[None]["values"]["处罚内容"] == seen["某局"]["values"]["处罚内容"] == \
        "警告；举报人电话 138****5678，身份证 130102********9977"
    assert seen[None]["reason"] == seen["某局"]["reason"] == "补录 138****5678"
    assert seen["法院"]["values"]["处罚内容"] == data["CF_NR"]  # the level that reads identity numbers in clear
    assert seen["法院"]["reason"] == "补录 13812345678"


def test_the_public_asking_about_a_past_day_reads_a_record_as_corrected_since(penalties: Engine):
    with penalties.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚1", {"处罚内容": "警告"},
                                   "删除误录内容", datetime.date(2026, 5, 30), protector=PROTECTOR,
                                   today=datetime.date(2026, 6, 1))
    _stamp(penalties, {1: RECEIVED, 2: CORRECTED})
    day, today = datetime.date(2026, 4, 20), datetime.date(2026, 12, 1)
    public = _records(penalties, access.PUBLIC, ORGS[0], as_of=day, today=today)["items"][0]["records"][0]
    shared = _records(penalties, GOVERNMENT, ORGS[0], as_of=day, today=today)["items"][0]["records"][0]
    assert (public["version"], public["values"]["处罚内容"]) == (2, "警告")
    assert (shared["version"], shared["values"]["处罚内容"]) == (1, "警告，罚款人民币2万元")  # the record as it was


# --- a property over random items, subject types, severities, dates and callers, on the database ----------

#: Copies of the penalty item under every disclosure mode and security level (and two subject-type sets).
VARIANTS = [(f"JJJ-90-{n:03d}", mode, level, types) for n, (mode, level, types) in enumerate(
    (m, lv, t) for m in catalogue.DISCLOSURE_MODES for lv in catalogue.LEVELS_OF_MODE[m]
    for t in (catalogue.SUBJECT_TYPES, ("organization", "individual_business")))]
SEVERITY_WORDS = {"minor": "轻微", "general": "一般", "serious": "严重"}


@pytest.fixture
def many(engine: Engine, tmp_path: Path) -> tuple[Engine, list[str]]:
    """Penalties under every variant item, seeded: random subjects (organizations, individual businesses,
    natural persons), severities and decision dates from 2016 on, some revoked; all received long ago."""
    db.upgrade(engine)
    rng = random.Random(2026)
    penalty = catalogue.default_item(credit_files.PENALTY)
    with engine.begin() as conn:
        catalogue_service.draft_edition(conn, 2026, "河北省发展改革委")
        for code, mode, level, types in VARIANTS:
            data = catalogue.item_to_dict(penalty) | {"code": code, "disclosure_mode": mode, "security_level": level,
                                                      "subject_types": list(types), "contested": False}
            catalogue_service.add_item(conn, data, "测试", "河北省发展改革委", year=2026)
        catalogue_service.open_comments(conn, 2026, "河北省发展改革委")
        catalogue_service.assess_item(conn, 2026, credit_files.CONTESTED, "同意", "同意", "保留", "河北省发展改革委")
        catalogue_service.approve_edition(conn, 2026, "河北省人民政府")
        catalogue_service.publish_edition(conn, 2026, "河北省发展改革委")
    organizations = credit_files.codes(3, seed=21)
    businesses = [uscc.generate(rng, "9", "2", region="130102") for _ in range(2)]
    people = [credit_files.person(seq=n) for n in (301, 302, 303)]
    for code, _mode, _level, _types in [(credit_files.PENALTY, None, None, None), *VARIANTS]:
        rows = []
        for n in range(10):
            kind = rng.choice(("organization", "individual_business", "natural_person"))
            decided = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(3987))  # to 2026-12-01
            values = {"处罚决定日期": decided.isoformat(),
                      "处罚有效期": (decided + datetime.timedelta(days=365)).isoformat(),
                      "失信严重程度": SEVERITY_WORDS[rng.choice(catalogue.SEVERITIES)]}
            if kind == "natural_person":
                row = credit_files.penalty(None, f"罚{n}", **values, 证件号码=rng.choice(people))
            elif kind == "individual_business":
                row = credit_files.penalty(rng.choice(businesses), f"罚{n}", **values, 行政相对人类别="个体工商户",
                                           证件类型="身份证", 证件号码=rng.choice(people))
            else:
                row = credit_files.penalty(rng.choice(organizations), f"罚{n}", **values)
            rows.append(row)
        path = credit_files.write_csv(tmp_path / f"{code}.csv", rows)
        summary = credit_records.ingest_file(engine, str(path), code, credit_files.PROVIDER, protector=PROTECTOR,
                                             today=datetime.date(2026, 12, 1))
        assert summary.rejected == summary.by_code.get("credit.subject_type", 0), summary.problems[:1]
    with engine.begin() as conn:
        kept = conn.execute(text("SELECT item, document_number FROM credit_records ORDER BY id")).all()
        assert len(kept) > 60
        types = set(conn.execute(text("SELECT DISTINCT subject_type FROM credit_records")).scalars())
        assert types == set(catalogue.SUBJECT_TYPES)
        for item, number in rng.sample(kept, 12):
            corrections.revoke_record(conn, item, credit_files.PROVIDER, number, "复议撤销",
                                      datetime.date(2026, 12, 1), today=datetime.date(2026, 12, 1))
        long_ago = datetime.datetime(2016, 1, 1, tzinfo=datetime.UTC)
        conn.execute(text("UPDATE credit_records SET created_at = :m, updated_at = :m"), {"m": long_ago})
        conn.execute(text("UPDATE credit_record_versions SET at = :m"), {"m": long_ago})
    return engine, [*organizations, *businesses, *people]


ITEM_CODES = [credit_files.PENALTY, *(v[0] for v in VARIANTS)]
ITEMS = {code: (mode, level) for code, mode, level, _types in VARIANTS}
ITEMS[credit_files.PENALTY] = ("public_disclosure", 1)
_GRANTS = st.one_of(st.none(), st.frozensets(st.sampled_from(ITEM_CODES)))
CALLERS = st.one_of(
    st.just(access.PUBLIC),
    st.builds(access.Caller, st.just("某单位"), st.frozensets(st.sampled_from(access.SERVICES)),
              st.sampled_from(catalogue.SECURITY_LEVELS), st.just("client"), _GRANTS),
    st.builds(access.Caller, st.just("某局"), st.just(frozenset({"records"})), st.sampled_from((2, 3)),
              st.just("client"), _GRANTS))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture's data is only read
@given(caller=CALLERS, day=st.dates(min_value=datetime.date(2016, 1, 1), max_value=datetime.date(2030, 12, 31)))
def test_no_natural_person_in_a_public_answer_and_no_record_outside_a_callers_grant(
        many: tuple[Engine, list[str]], caller: access.Caller, day: datetime.date):
    engine, subjects = many
    admitted = access.admit(caller, "records")  # as the API admits a caller to the service
    assert admitted is not None
    people = [s for s in subjects if not uscc.is_valid(s)]
    with engine.begin() as conn:
        for subject in subjects:
            public = disclosure.subject_records(conn, access.PUBLIC, subject, PROTECTOR, as_of=day)
            seen = disclosure.subject_records(conn, admitted, subject, PROTECTOR, as_of=day)
            text_public = json.dumps(public, ensure_ascii=False)
            assert not any(p in text_public for p in people) and "P:" not in text_public
            public_ids = set()
            for group in public["items"]:
                mode, level = ITEMS[group["item"]]
                assert (mode, level) == ("public_disclosure", 1)
                for record in group["records"]:
                    assert record["subject_type"] != "natural_person" and record["status"] != "revoked"
                    assert record["channel"] == "public_disclosure" and record["decided_on"] <= day.isoformat()
                    assert record["public_until"] is not None and day.isoformat() <= record["public_until"]
                    public_ids.add(record["id"])
            shared = False
            for group in seen["items"]:
                mode, level = ITEMS[group["item"]]
                for record in group["records"]:
                    if record["channel"] == "public_disclosure":
                        assert record["id"] in public_ids
                        continue
                    # anything more than the public sees is the caller's own grant: service, level, items
                    assert record["channel"] == "government_sharing"
                    assert "records" in admitted.services and admitted.level >= access.SHARING_LEVEL
                    assert record["shared_until"] is None or day.isoformat() <= record["shared_until"]
                    assert level <= admitted.level and mode != "authorized_query"
                    assert admitted.items is None or group["item"] in admitted.items
                    shared = True
            assert public_ids <= {r["id"] for g in seen["items"] for r in g["records"]}
            if not (shared and admitted.level == access.TOP_LEVEL):
                assert not any(p in json.dumps(seen, ensure_ascii=False) for p in people)
