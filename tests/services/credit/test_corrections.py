"""Corrections and revocations of credit records (services/credit/corrections.py): every version kept,
a correction checked as a row is, a natural person's record filed under the person."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update

from jjjcredit.core.credit import persons
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.services.credit import corrections
from jjjcredit.storage.schema import credit_records
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, PROTECTOR, TODAY, ingest, shown


def test_a_provider_revokes_and_corrects_and_every_version_is_kept(ready: Engine, tmp_path: Path):
    ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1"), files.penalty(CODES[0], "罚2")]))
    with ready.begin() as conn:
        done = corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "罚1", "复议撤销",
                                         datetime.date(2026, 5, 30), today=TODAY)
        assert (done["status"], done["version"], done["late"]) == ("revoked", 2, False)
        with pytest.raises(RecordsError) as again:
            corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "罚1", "x", TODAY, today=TODAY)
        assert again.value.code == "credit.revoked"
        late = corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚2", {"处罚内容": "警告"}, "更正笔误",
                                          datetime.date(2026, 5, 20), protector=PROTECTOR, today=TODAY)
        assert (late["version"], late["late"], late["warnings"]) == (2, True, [])  # changed 12 days after: late
        for changes, code in (({"处罚决定日期": "2026-13-01"}, "credit.correction"),
                              ({"无此字段": "x"}, "credit.unknown_field"),
                              ({"行政处罚决定书文号": "罚9"}, "credit.identity"),
                              ({"处罚内容": "警告"}, "credit.unchanged")):
            with pytest.raises(RecordsError) as refused:
                corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚2", changes, "x", TODAY,
                                           protector=PROTECTOR, today=TODAY)
            assert refused.value.code == code
        with pytest.raises(RecordsError) as missing:
            corrections.revoke_record(conn, files.PENALTY, "另一部门", "罚1", "x", TODAY, today=TODAY)
        assert missing.value.code == "credit.not_found"
    by_number = {r["document_number"]: r for r in shown(ready, CODES[0])["items"][0]["records"]}
    assert by_number["罚1"]["status"] == "revoked" and by_number["罚1"]["reason"] == "复议撤销"
    assert [h["status"] for h in by_number["罚1"]["history"]] == ["revoked", "in_force"]
    assert by_number["罚2"]["values"]["处罚内容"] == "警告" and by_number["罚2"]["late"] is True
    assert by_number["罚2"]["history"][0]["changed"] == {"处罚内容": ["警告，罚款人民币2万元", "警告"]}
    with ready.begin() as conn:  # revoked after its correction: the correction's version names no batch
        corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "罚2", "撤销", datetime.date(2026, 5, 31),
                                  today=TODAY)
    history = {r["document_number"]: r for r in shown(ready, CODES[0])["items"][0]["records"]}["罚2"]["history"]
    assert [(h["action"], h["batch"] is None) for h in history] == [
        ("revoked", True), ("corrected", True), ("created", False)]


def test_a_correction_says_what_its_checks_say_a_phone_number_kept_masked(ready: Engine, tmp_path: Path):
    ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1")]))
    with ready.begin() as conn:
        masked = corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚1", {"备注": "经办人13812345678"},
                                            "补充备注", TODAY, protector=PROTECTOR, today=TODAY)
    assert [(w["code"], w["value"]) for w in masked["warnings"]] == [("credit.phone_in_text", "经办人138****5678")]
    assert "13812345678" not in json.dumps(masked, ensure_ascii=False)  # kept masked, and said so


def test_a_revoked_record_does_not_come_back(ready: Engine, tmp_path: Path):
    path = files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "石市监罚〔2026〕118号")])
    ingest(ready, path)
    with ready.begin() as conn:
        corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "石市监罚(２０２６) 118号", "撤销",
                                  datetime.date(2026, 5, 25), today=TODAY)  # the same number, written otherwise
        with pytest.raises(RecordsError) as corrected:
            corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "石市监罚〔2026〕118号", {"处罚内容": "x"},
                                       "x", TODAY, protector=PROTECTOR, today=TODAY)
        assert corrected.value.code == "credit.revoked"
        with pytest.raises(RecordsError) as early:
            corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "石市监罚〔2026〕118号", "x",
                                      datetime.date(2026, 1, 1), today=TODAY)
        assert early.value.code == "credit.decided_before"
    again = ingest(ready, files.write_csv(tmp_path / "b.csv", [files.penalty(CODES[0], "石市监罚〔2026〕118号",
                                                                             备注="再次报送")]))
    assert (again.rejected, again.by_code) == (1, {"credit.revoked": 1})
    assert shown(ready, CODES[0])["items"][0]["records"][0]["status"] == "revoked"


def test_a_corrected_subject_takes_its_history_along(ready: Engine, tmp_path: Path):
    ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1")]))
    with ready.begin() as conn:
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚1", {"统一社会信用代码": CODES[1]},
                                   "主体代码有误", datetime.date(2026, 5, 21), protector=PROTECTOR, today=TODAY)
    assert shown(ready, CODES[0])["records"] == 0
    record = shown(ready, CODES[1])["items"][0]["records"][0]
    assert [h["version"] for h in record["history"]] == [2, 1]
    # a file is no correction: its row for a third subject is refused, the record stays where it was corrected to
    moved = ingest(ready, files.write_csv(tmp_path / "b.csv", [files.penalty(CODES[2], "罚1")]))
    assert (moved.updated, moved.rejected, moved.by_code) == (0, 1, {"credit.other_subject": 1})
    assert shown(ready, CODES[2])["records"] == 0 and shown(ready, CODES[1])["records"] == 1


def test_a_person_s_record_kept_under_an_organization_s_code_is_filed_under_the_person_with_its_history(
        ready: Engine, tmp_path: Path):
    """Rows that named both a person and an organization's code were filed under the code before they were
    refused (planted here as they were written): each moves, with every version, to the key found from its
    sealed number, a new version saying so; one whose number cannot be recovered is left with the reason."""
    number, lost, foreign = files.person(), files.person(456), files.person(789)
    rows = [files.penalty(None, "罚〔2026〕93号"), files.penalty(None, "罚〔2026〕94号", 证件号码=lost),
            files.penalty(None, "罚〔2026〕95号", 证件号码=foreign), files.penalty(CODES[1], "罚〔2026〕96号")]
    assert ingest(ready, files.write_csv(tmp_path / "p.csv", rows)).created == 4
    with ready.begin() as conn:
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚〔2026〕93号", {"处罚内容": "警告"}, "更正",
                                   TODAY, protector=PROTECTOR, today=TODAY)
        moving = files.file_under_code(conn, "罚〔2026〕93号", CODES[0])
        unsealed = files.file_under_code(conn, "罚〔2026〕94号", CODES[0])
        other = files.file_under_code(conn, "罚〔2026〕95号", CODES[1])
        conn.execute(update(credit_records).where(credit_records.c.id == unsealed).values(sealed=None))
        conn.execute(update(credit_records).where(credit_records.c.id == other).values(sealed=json.dumps(
            {"CF_XDR_ZJHM": persons.Protector(bytes(32)).seal("CF_XDR_ZJHM", foreign)})))  # another platform's key
    assert shown(ready, number)["records"] == 0  # the person's own key finds nothing yet
    with ready.connect() as conn:
        found = {f.document_number: f for f in corrections.misfiled_persons(conn, PROTECTOR)}
    assert {d: (f.kept_under, f.versions, f.person_key, f.left) for d, f in found.items()} == {
        "罚〔2026〕93号": (CODES[0], 2, PROTECTOR.subject_key(number), None),
        "罚〔2026〕94号": (CODES[0], 1, None, "credit.no_sealed_number"),
        "罚〔2026〕95号": (CODES[1], 1, None, "credit.sealed")}
    listed = json.dumps([f.to_dict() for f in found.values()], ensure_ascii=False)
    assert not any(n in listed or n[6:14] in listed for n in (number, lost, foreign))
    with ready.begin() as conn:
        moved = corrections.rekey_person(conn, moving, PROTECTOR)
        left = [corrections.rekey_person(conn, i, PROTECTOR) for i in (unsealed, other)]
    assert moved is not None and (moved.person_key, moved.versions, moved.left) == (
        PROTECTOR.subject_key(number), 3, None)
    assert [f.left if f else None for f in left] == ["credit.no_sealed_number", "credit.sealed"]
    mine = shown(ready, number)["items"][0]["records"][0]
    assert (mine["document_number"], mine["version"], mine["subject_code"]) == ("罚〔2026〕93号", 3, None)
    assert [h["action"] for h in mine["history"]] == ["corrected", "corrected", "created"]
    assert CODES[0] in mine["history"][0]["reason"] and mine["values"]["证件号码"] == number
    assert mine["values"]["处罚内容"] == "警告"  # its values as they were
    assert [r["document_number"] for i in shown(ready, CODES[0])["items"] for r in i["records"]] == ["罚〔2026〕94号"]
    with ready.connect() as conn:
        assert conn.execute(text("SELECT subject_key, count(*) FROM credit_record_versions WHERE record_id = :i "
                                 "GROUP BY subject_key"), {"i": moving}).all() == [(PROTECTOR.subject_key(number), 2)]
        stored, counted = files.tallies(conn)
        assert stored == counted and stored[0][2] == 4  # counted by provider and item: the key changes nothing
        again = corrections.misfiled_persons(conn, PROTECTOR)  # a second run finds only the records it left
    assert sorted(f.document_number for f in again) == ["罚〔2026〕94号", "罚〔2026〕95号"]
    with ready.begin() as conn:
        assert corrections.rekey_person(conn, moving, PROTECTOR) is None
        assert corrections.rekey_person(conn, unsealed, None).left == "credit.no_sealed_number"  # type: ignore[union-attr]
        codes_left = {f.left for f in corrections.misfiled_persons(conn, None)}
        assert codes_left == {"credit.no_sealed_number", "credit.no_secret"}


def test_a_person_s_record_kept_under_the_person_s_own_number_as_a_code_moves_without_writing_the_number(
        ready: Engine, tmp_path: Path):
    """A row that gave the person's identity number as the unified social credit code too (one that is also a
    valid code: 130102198505050729) was filed under that number before such rows were refused: rekey-persons
    lists it, moves it and says where it was kept with the number masked — in what it returns, in the reason
    of the new version — never in clear."""
    number = "130102198505050729"
    row = files.penalty(None, "罚〔2026〕97号", 证件号码=number)
    assert ingest(ready, files.write_csv(tmp_path / "p.csv", [row])).created == 1
    with ready.begin() as conn:
        moving = files.file_under_code(conn, "罚〔2026〕97号", number)
        found = corrections.misfiled_persons(conn, PROTECTOR)
        moved = corrections.rekey_person(conn, moving, PROTECTOR)
        reasons = conn.execute(text("SELECT reason FROM credit_records WHERE id = :i"), {"i": moving}).scalars().all()
    assert [f.person_key for f in found] == [PROTECTOR.subject_key(number)]
    assert moved is not None and moved.left is None
    said = json.dumps([f.to_dict() for f in (*found, moved)], ensure_ascii=False) + str(moved.kept_under) + str(reasons)
    assert number not in said and number[6:14] not in said
    assert found[0].to_dict()["kept_under"] == "130102********0729" and "130102********0729" in reasons[0]


def test_a_refused_correction_is_credit_correction_naming_each_problem_of_the_row(ready: Engine, tmp_path: Path):
    """A script matches one code for "the correction was refused"; the row's own problems are named inside."""
    ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1")]))
    with ready.begin() as conn, pytest.raises(RecordsError) as refused:
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚1",
                                   {"处罚决定日期": "2026-13-01", "处罚类别": "罚金"}, "x", TODAY,
                                   protector=PROTECTOR, today=TODAY)
    assert refused.value.code == "credit.correction"
    message = refused.value.message
    assert "[record.date] 处罚决定日期 (CF_JDRQ):" in message and "[record.value] 处罚类别 (CF_CFLB):" in message
