"""Credit records on a real database (services/credit/records.py, read through
services/sharing/disclosure.subject_records): ingest in every format, versions, natural persons never in
clear, personal numbers masked, a file sent again."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from sqlalchemy import Engine, func, select, text

from jjjcredit.core.credit import catalogue as core_catalogue
from jjjcredit.core.credit import persons, working_days
from jjjcredit.core.credit.periods import add_months
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.sharing import access
from jjjcredit.services import db
from jjjcredit.services.credit import corrections, records, writing
from jjjcredit.services.library import library
from jjjcredit.services.sharing import disclosure
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.storage.schema import credit_batches, credit_records
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, PROTECTOR, TODAY, ingest, shown
from tests.services.library import library_files


def _mixed(tmp_path: Path) -> Path:
    rows = [files.penalty(CODES[0], "罚〔2026〕1号"), files.penalty(CODES[1], "罚〔2026〕2号"),
            files.penalty(None, "罚〔2026〕3号"),
            files.penalty(CODES[2], "罚〔2026〕4号", 处罚决定日期="2026-02-30"),
            files.penalty(CODES[2], "罚〔2026〕5号", 处罚类别="罚金"),
            files.penalty(CODES[0], "罚〔2026〕1号"),  # the same document again
            {h: "" for h in files.HEADER},  # blank
            files.penalty(CODES[3], "罚〔2026〕6号", 失信严重程度="严重")]
    return files.write_csv(tmp_path / "penalties.csv", rows)


def test_every_row_is_accepted_or_rejected_with_its_reasons_and_the_same_file_again_changes_nothing(
        ready: Engine, tmp_path: Path):
    path = _mixed(tmp_path)
    summary = ingest(ready, path)
    assert (summary.rows, summary.created, summary.rejected, summary.blank) == (7, 4, 3, 1)
    assert summary.rows == summary.created + summary.updated + summary.unchanged + summary.rejected
    assert summary.by_code["record.date"] == 1 and summary.by_code["record.value"] == 1
    assert summary.by_code["credit.duplicate"] == 1
    assert summary.flagged == 3  # the organizations are not in the library: kept and flagged
    with ready.connect() as conn:
        rejected = list(records.batch_rejects(conn, summary.batch))
    assert [r["row"] for r in rejected] == [5, 6, 7]
    again = ingest(ready, path)  # judged again: the accepted rows are as recorded, the rejected still rejected
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 3)
    assert "Nothing changed" in again.message and summary.batch in again.message
    with ready.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM credit_records")).scalar_one() == 4
        assert conn.execute(text("SELECT max(version) FROM credit_records")).scalar_one() == 1


@pytest.mark.parametrize("shown", [records.SHOWN_PROBLEMS, 3])
def test_the_summary_lists_problems_by_row_then_field_whatever_found_them_first(
        ready: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shown: int):
    """Rows refused by their checks, rows refused against what is recorded (a duplicate) and warnings of
    accepted rows are found at different moments; a clerk walks down the sheet, so they are listed in its
    order — and when the list is cut short, it is the first rows' problems that are listed."""
    monkeypatch.setattr(records, "SHOWN_PROBLEMS", shown)
    summary = ingest(ready, _mixed(tmp_path)).to_dict()
    listed = [(p["row"], p["code"]) for p in summary["problems"]]  # type: ignore[index, union-attr]
    assert listed == [(2, "credit.unknown_organization"), (3, "credit.unknown_organization"), (5, "record.date"),
                      (6, "record.value"), (7, "credit.duplicate"), (9, "credit.unknown_organization")][:shown]


def test_a_records_severity_is_shown_in_the_words_people_read_and_kept_as_its_class(ready: Engine, tmp_path: Path):
    """失信严重程度 is kept as the class (``general``: what periods and disclosure decide by) and shown as the
    row sent it, in every version a reader is shown."""
    ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1", 失信严重程度="一般失信")]))
    ingest(ready, files.write_csv(tmp_path / "b.csv", [files.penalty(CODES[0], "罚1", 失信严重程度="严重")]))
    record = shown(ready, CODES[0])["items"][0]["records"][0]
    assert (record["severity"], record["values"]["失信严重程度"]) == ("serious", "严重")
    assert record["history"][0]["changed"]["失信严重程度"] == ["一般", "严重"]
    with ready.connect() as conn:
        assert json.loads(conn.execute(select(credit_records.c.data)).scalar_one())["XY_YZCD"] == "serious"


def test_a_number_repeated_by_a_natural_persons_row_is_refused_whichever_comes_first(ready: Engine, tmp_path: Path):
    """An organization's row with nothing to say is written from the chunk's columns, a natural person's
    as a record: a document number is still refused the second time, naming the row that had it."""
    rows = [files.penalty(CODES[0], "罚1"), files.penalty(None, "罚1"), files.penalty(None, "罚2"),
            files.penalty(CODES[1], "罚2")]
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", rows))
    assert (summary.created, summary.rejected) == (2, 2)
    with ready.connect() as conn:
        rejected = list(records.batch_rejects(conn, summary.batch))
    assert [(r["row"], r["problems"][0]["code"]) for r in rejected] == [(3, "credit.duplicate"),
                                                                         (5, "credit.duplicate")]
    assert "row 2 " in rejected[0]["problems"][0]["message"] and "row 4 " in rejected[1]["problems"][0]["message"]


def test_an_organization_known_to_the_library_is_not_flagged(ready: Engine, tmp_path: Path):
    known = library_files.codes(1)[0]
    library.ingest_file(ready, str(library_files.organizations(tmp_path / "orgs.csv", [known])),
                        "hebei/market-regulation")
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", [files.penalty(known, "罚1"),
                                                                 files.penalty(CODES[0], "罚2")]))
    assert (summary.created, summary.flagged) == (2, 1)
    assert shown(ready, known)["items"][0]["records"][0]["unknown_organization"] is False


#: A valid resident identity number that passes a unified social credit code's checks too (1 in ~341 do).
PERSON_AS_CODE = files.person(71, "19850501")


def test_a_code_that_is_an_identity_number_is_refused_unless_the_library_knows_the_organization(
        ready: Engine, tmp_path: Path):
    """Given as an organization's code, a natural person's number would be published as an organization's:
    refused, by the fast path and the row-by-row one alike, and never echoed in clear."""
    assert PERSON_AS_CODE == "130102198505010719"
    rows = [files.penalty(PERSON_AS_CODE, "罚1"), files.penalty(PERSON_AS_CODE, "罚2", 违法事实="举报电话13812345678"),
            files.penalty(PERSON_AS_CODE + "01", "罚3"), files.penalty(CODES[0], "罚4")]
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", rows))
    assert (summary.created, summary.rejected, summary.by_code["credit.code_is_identity"]) == (1, 3, 2)
    with ready.connect() as conn:
        rejected = list(records.batch_rejects(conn, summary.batch))
    told = json.dumps([summary.to_dict(), rejected], ensure_ascii=False)
    assert PERSON_AS_CODE not in told and "13812345678" not in told and "130102********0719" in told
    assert [r["problems"][0]["code"] for r in rejected] == ["credit.code_is_identity"] * 2 + ["credit.subject_code"]
    library.ingest_file(ready, str(library_files.organizations(tmp_path / "orgs.csv", [PERSON_AS_CODE])),
                        "hebei/market-regulation")
    again = ingest(ready, files.write_csv(tmp_path / "p2.csv", rows[:2]))
    assert (again.created, again.rejected) == (2, 0)  # an organization the library holds is one


def test_a_taxpayer_number_made_of_an_identity_number_is_refused_and_never_echoed(ready: Engine, tmp_path: Path):
    taxpayer = files.person(997, "19850505") + "01"  # an individual's taxpayer number: the identity number and two
    path = tmp_path / "ratings.csv"
    path.write_text("纳税人名称,纳税人识别号,评价年度,信用级别,评价机关\n"
                    f"张伟,{taxpayer},2025,A,国家税务总局石家庄市税务局\n", encoding="utf-8")
    summary = ingest(ready, path, item="JJJ-06-001")
    with ready.connect() as conn:
        rejected = list(records.batch_rejects(conn, summary.batch))
    assert (summary.created, summary.rejected, rejected[0]["problems"][0]["code"]) == (0, 1, "credit.code_is_identity")
    told = json.dumps([summary.to_dict(), rejected], ensure_ascii=False)
    assert taxpayer[:18] not in told and taxpayer[6:14] not in told


def test_a_resubmission_is_a_new_version_with_history_and_unchanged_rows_stay(ready: Engine, tmp_path: Path):
    first = ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1"),
                                                               files.penalty(CODES[0], "罚2")]))
    second = ingest(ready, files.write_csv(tmp_path / "b.csv", [
        files.penalty(CODES[0], "罚1", 处罚内容="警告，罚款人民币3万元", **{"罚款金额（万元）": "3"}),
        files.penalty(CODES[0], "罚2")]))
    assert (first.created, second.updated, second.unchanged) == (2, 1, 1)
    record = next(r for r in shown(ready, CODES[0])["items"][0]["records"] if r["document_number"] == "罚1")
    assert record["version"] == 2 and [h["action"] for h in record["history"]] == ["updated", "created"]
    assert record["history"][0]["changed"]["罚款金额（万元）"] == ["2", "3"]
    assert record["values"]["罚款金额（万元）"] == "3"
    with ready.connect() as conn:  # the current version is kept once; the versions table holds the one it replaced
        kept = conn.execute(text("SELECT version, action FROM credit_record_versions")).all()
        assert [tuple(r) for r in kept] == [(1, "created")]


def test_a_natural_persons_number_is_never_stored_or_shown_in_clear(ready: Engine, tmp_path: Path):
    number = files.person()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", [
        files.penalty(None, "罚1"), files.penalty(None, "罚2", 证件号码=bad)]))
    assert (summary.created, summary.rejected) == (1, 1)
    assert number not in json.dumps(summary.to_dict(), ensure_ascii=False)
    assert bad not in json.dumps(summary.to_dict(), ensure_ascii=False)
    with ready.connect() as conn:
        for table in ("credit_records", "credit_record_versions", "credit_rejects", "credit_batches"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                assert number not in str(tuple(row)) and bad not in str(tuple(row)), table
    # found by the number; opened only for an application party at the top level
    entitled = shown(ready, number)
    assert entitled["subject"].startswith("P:") and entitled["records"] == 1
    assert entitled["items"][0]["records"][0]["values"]["证件号码"] == number
    for caller in (access.STAFF, access.Caller("某局", frozenset({"records"}), 2)):
        seen = json.dumps(shown(ready, number, caller), ensure_ascii=False)
        assert number not in seen and "130102********" in seen
    assert shown(ready, entitled["subject"])["records"] == 1  # by the subject key too
    assert shown(ready, entitled["subject"].upper())["records"] == 1  # in any case


def test_without_the_personal_data_key_a_file_with_a_natural_person_is_refused_whole(ready: Engine, tmp_path: Path):
    """The platform's configuration, not the provider's rows: nothing is recorded, and the refusal says so."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1"), files.penalty(None, "罚2")])
    with pytest.raises(persons.PersonalDataError) as refused:
        ingest(ready, path, protector=None)
    assert refused.value.code == "credit.no_secret" and "Row 3 " in refused.value.message
    with ready.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM credit_records")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM credit_batches")).scalar_one() == 0
    assert ingest(ready, path).created == 2  # the same bytes, once the key is there


def test_callers_see_records_within_their_level_and_only_with_the_records_service(engine: Engine, tmp_path: Path):
    db.upgrade(engine)
    with engine.begin() as conn:
        files.publish(conn, 2026, {files.PENALTY: {"security_level": 2, "disclosure_mode": "government_sharing"}})
    ingest(engine, files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")]))
    assert shown(engine, CODES[0], access.Caller("a", frozenset({"records"}), 2))["records"] == 1
    assert shown(engine, CODES[0], access.Caller("b", frozenset({"records"}), 1))["records"] == 0
    assert shown(engine, CODES[0], access.Caller("c", frozenset({"lookup"}), 3))["records"] == 0
    assert shown(engine, CODES[0], access.PUBLIC)["records"] == 0


def test_files_in_other_formats_and_encodings(ready: Engine, tmp_path: Path):
    gb = files.write_csv(tmp_path / "gb.csv", [files.penalty(CODES[0], "罚1")], encoding="gb18030")
    jsonl = files.write_jsonl(tmp_path / "p.jsonl", [files.penalty(CODES[1], "罚2")])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(files.HEADER)
    sheet.append(list(files.penalty(CODES[2], "罚3").values()))
    book.save(tmp_path / "p.xlsx")
    fields = "".join(f'<field name="{k}">{escape(v)}</field>' for k, v in files.penalty(CODES[3], "罚4").items())
    (tmp_path / "p.xml").write_text(f"<records><record>{fields}</record></records>", encoding="utf-8")
    for path in (gb, jsonl, tmp_path / "p.xlsx", tmp_path / "p.xml"):
        summary = ingest(ready, path)
        assert (summary.created, summary.rejected) == (1, 0), (path.name, summary.problems)
    assert ingest(ready, gb).unchanged == 1
    assert {shown(ready, c)["records"] for c in CODES} == {1}


def test_an_authority_merged_over_rows_of_a_sheet_is_each_rows_and_the_summary_says_so(ready: Engine, tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(files.HEADER)
    authority = files.HEADER.index("处罚机关")
    for n in range(3):
        row = list(files.penalty(CODES[n], f"罚{n + 1}").values())
        if n:
            row[authority] = None  # under the merged cell
        sheet.append(row)
    letter = openpyxl.utils.get_column_letter(authority + 1)
    sheet.merge_cells(f"{letter}2:{letter}4")
    book.save(tmp_path / "merged.xlsx")
    summary = ingest(ready, tmp_path / "merged.xlsx")
    assert (summary.created, summary.rejected, summary.merged) == (3, 0, (f"{letter}2:{letter}4",))
    assert summary.to_dict()["merged_cells"] == [f"{letter}2:{letter}4"]


def test_a_workbooks_other_sheets_are_named_as_not_read(ready: Engine, tmp_path: Path):
    """Only a workbook's first sheet is read: records on a second sheet (a month split in two, the data after
    a sheet of instructions) are said to be unread — in the summary, and in the refusal of a first sheet
    that holds no records — never passed over in silence."""
    book = openpyxl.Workbook()
    first, second = book.active, book.create_sheet("12月下")
    first.title = "12月上"
    for sheet, n in ((first, 0), (second, 1)):
        sheet.append(files.HEADER)
        sheet.append(list(files.penalty(CODES[n], f"罚{n + 1}").values()))
    book.save(tmp_path / "two.xlsx")
    summary = ingest(ready, tmp_path / "two.xlsx")
    assert (summary.rows, summary.created) == (1, 1)
    assert summary.to_dict()["sheets_not_read"] == ["12月下"] and summary.to_dict()["sheets_not_read_count"] == 1
    assert "12月上" in summary.message and "12月下" in summary.message and "not read" in summary.message
    notes = openpyxl.Workbook()
    notes.active.title = "填报说明"
    notes.active.append(["说明", "请在第二个工作表填写"])
    data = notes.create_sheet("数据")
    data.append(files.HEADER)
    notes.save(tmp_path / "notes.xlsx")
    with pytest.raises(RecordsError) as refused:
        ingest(ready, tmp_path / "notes.xlsx")
    assert refused.value.code == "credit.layout"
    assert "“填报说明”" in refused.value.message and "“数据”" in refused.value.message


def test_a_workbook_of_many_sheets_names_twenty_of_those_not_read_and_counts_them(ready: Engine, tmp_path: Path):
    """The sheets not read are named up to 20 (the batch's summary is stored: a workbook of 200,000 sheets
    would make it megabytes) and counted; the message names five and says how many there are."""
    book = openpyxl.Workbook()
    book.active.append(files.HEADER)
    book.active.append(list(files.penalty(CODES[0], "罚1").values()))
    for n in range(30):
        book.create_sheet(f"附表{n}")
    book.save(tmp_path / "many.xlsx")
    summary = ingest(ready, tmp_path / "many.xlsx").to_dict()
    assert summary["sheets_not_read"] == [f"附表{n}" for n in range(20)] and summary["sheets_not_read_count"] == 30
    assert "“附表4” … 30 in all" in str(summary["message"]) and "附表5" not in str(summary["message"])


def test_a_file_or_item_that_cannot_be_used_is_refused_before_anything_is_written(ready: Engine, tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError):
        ingest(ready, empty)
    no_date = files.write_csv(tmp_path / "x.csv", [{k: v for k, v in files.penalty(CODES[0], "罚1").items()
                                                    if k != "处罚决定日期"}])
    for path, item, provider, code in ((no_date, files.PENALTY, files.PROVIDER, "credit.layout"),
                                       (no_date, "JJJ-99-001", files.PROVIDER, "credit.unknown_item"),
                                       (no_date, "JJJ-01-001", files.PROVIDER, "credit.basic_item"),
                                       (no_date, files.PENALTY, " ", "credit.provider"),
                                       (no_date, files.PENALTY, "市监局经办人13812345678", "credit.provider")):
        with pytest.raises(RecordsError) as refused:
            ingest(ready, path, item, provider)
        assert refused.value.code == code and "13812345678" not in refused.value.message
    with pytest.raises(RecordsError) as none:
        ingest(ready, no_date, today=datetime.date(2025, 6, 1))  # no edition published up to 2025
    assert none.value.code == "credit.no_catalogue"
    assert "the 2026 edition, is published and comes into force on 1 January 2026" in none.value.message
    with ready.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM credit_records")).scalar_one() == 0
        assert conn.execute(select(credit_batches.c.status)).scalars().all() == []


def test_a_providers_own_headers_are_mapped_by_its_file(ready: Engine, tmp_path: Path):
    row = files.penalty(CODES[0], "罚1")
    renamed = {"行政处罚决定书文号": "处罚文号", "行政相对人名称": "相对人"}
    own = {renamed.get(k, k): v for k, v in row.items()}
    path = files.write_csv(tmp_path / "own.csv", [own])
    with pytest.raises(RecordsError):
        ingest(ready, path)  # 处罚文号 is no national name or alias
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("处罚文号: 行政处罚决定书文号\n相对人: 行政相对人名称 \n", encoding="utf-8")  # (a stray space)
    summary = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                  own_headers=records.load_own_headers(str(mapping)))
    assert summary.created == 1 and summary.columns["处罚文号"] == "CF_WSH" and summary.columns["相对人"] == "CF_XDR_MC"
    with ready.begin() as conn:  # a field named as a file's header would name it: an alias, half-width brackets
        done = corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚1", {"罚款金额(万元)": "3"}, "更正",
                                          datetime.date(2026, 5, 21), protector=PROTECTOR, today=TODAY)
    assert done["version"] == 2
    mapping.write_text("处罚文号: 无此字段\n", encoding="utf-8")
    with pytest.raises(RecordsError) as wrong:
        records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                            own_headers=records.load_own_headers(str(mapping)))
    assert wrong.value.code == "credit.layout" and "无此字段" in wrong.value.message


def test_a_column_in_yuan_is_never_mapped_to_an_amount_in_wan_yuan(ready: Engine, tmp_path: Path):
    """A provider's fines are in 元 under its own header; the summary, told the header is not read, points to
    the field in 万元 and says its unit. Mapped to it, 20000 元 would be kept as 20000 万元: the mapping is
    refused before anything is read (on the command line and over the API alike), saying what to do."""
    row = {("罚款金额（元）" if k == "罚款金额（万元）" else k): v for k, v in files.penalty(CODES[0], "罚1").items()}
    row["罚款金额（元）"] = "20000"
    path = files.write_csv(tmp_path / "yuan.csv", [row])
    first = ingest(ready, path)
    assert "“罚款金额（元）” (罚款金额（万元）? in 万元, not 元)" in first.message
    for own in ({"罚款金额（元）": "罚款金额（万元）"}, records.own_headers_of(["罚款金额（元）=CF_NR_FK"])):
        with pytest.raises(RecordsError) as refused:
            records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                own_headers=own)
        assert refused.value.code == "credit.layout" and refused.value.field == "罚款金额（元）"
        assert "a column in 元" in refused.value.message and "10,000 times" in refused.value.message
    by_number = {r["document_number"]: r for r in shown(ready, CODES[0])["items"][0]["records"]}
    assert by_number["罚1"]["version"] == 1 and "罚款金额（万元）" not in by_number["罚1"]["values"]


def test_a_header_that_is_an_identity_number_is_masked_in_the_summary_as_every_header(ready: Engine, tmp_path: Path):
    """columns= maps it (as ?columns=110105194912319964=违法事实 does): the summary's ``columns`` and the batch's
    stored summary show it masked, as an ignored header is."""
    rows = [files.penalty(CODES[0], "罚1"), files.penalty(CODES[1], "罚2", 违法事实="")]  # the second: rejected
    own = [{("110105194912319964" if k == "违法事实" else k): v for k, v in row.items()} for row in rows]
    path = files.write_csv(tmp_path / "own.csv", [{**row, "13812345678": "x"} for row in own])
    summary = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                  own_headers=records.own_headers_of(["110105194912319964=违法事实"]))
    assert (summary.created, summary.rejected) == (1, 1) and summary.columns["110105********9964"] == "CF_SY"
    assert "138****5678" in summary.ignored
    with ready.connect() as conn:
        stored = conn.execute(select(credit_batches.c.summary)).scalar_one()
        rejected = list(records.batch_rejects(conn, summary.batch))
    assert rejected[0]["problems"][0]["field"] == "110105********9964"
    assert "110105194912319964" not in json.dumps(summary.to_dict()) + str(stored) + str(rejected)
    assert "13812345678" not in str(stored)


def test_a_number_in_chinese_numerals_or_circled_digits_is_masked_before_it_is_kept(ready: Engine, tmp_path: Path):
    facts = "当事人一般违法，联系手机一三八一二三四五六七八，身份证①①0①0⑤①⑨④⑨①②③①⑨⑨⑥④，依据第一条"
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1", 违法事实=facts)])
    assert ingest(ready, path).created == 1
    [record] = shown(ready, CODES[0], access.PUBLIC)["items"][0]["records"]
    kept = json.dumps(record, ensure_ascii=False)
    assert "一三八****五六七八" in kept and "①①0①0⑤********⑨⑨⑥④" in kept and "当事人一般违法" in kept
    assert "一三八一二三四五六七八" not in kept and "①②③①" not in kept
    with ready.connect() as conn:
        stored = str(conn.execute(select(credit_records)).mappings().one())
    assert "一三八一二三四五六七八" not in stored and "①②③①" not in stored


def test_a_file_sent_again_after_the_cause_of_a_rejection_is_fixed_is_judged_anew(ready: Engine, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-02-30")])
    assert ingest(ready, path).by_code == {"record.date": 1}
    assert ingest(ready, path).rejected == 1  # the same bytes: judged again, rejected again
    fixed = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-02-28")])
    assert ingest(ready, fixed).created == 1


def test_going_back_to_an_earlier_file_is_a_new_version(ready: Engine, tmp_path: Path):
    first = files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1")])
    second = files.write_csv(tmp_path / "b.csv", [files.penalty(CODES[0], "罚1", 处罚内容="警告")])
    assert ingest(ready, first).created == 1
    assert ingest(ready, second).updated == 1
    assert ingest(ready, first).updated == 1  # the provider's earlier file is its truth again
    assert shown(ready, CODES[0])["items"][0]["records"][0]["version"] == 3


def test_a_mobile_number_in_a_document_number_rejects_the_row_and_is_never_kept_in_clear(ready: Engine, tmp_path: Path):
    """A document number names the record and is published with it: one that holds a mobile number is refused, as
    one holding an identity number is (masked, it would be two records' name); in other text it is kept masked."""
    phones = ("DN13-+86 138 1234 5678", "冀罚138-1234-5678号", "(+86)13812345678")
    rows = [files.penalty(CODES[n], number) for n, number in enumerate(phones)]
    rows.append(files.penalty(CODES[3], "罚9", 违法事实="当事人电话 139 8765 4321"))
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", rows))
    assert (summary.created, summary.rejected) == (1, 3)
    assert summary.by_code["credit.phone_in_document_number"] == 3 and summary.by_code["credit.phone_in_text"] == 1
    dumped = json.dumps(summary.to_dict(), ensure_ascii=False)
    with ready.connect() as conn:
        rejected = json.dumps(list(records.batch_rejects(conn, summary.batch)), ensure_ascii=False)
        stored = [str(tuple(r)) for t in ("credit_records", "credit_record_versions", "credit_batches")
                  for r in conn.execute(text(f"SELECT * FROM {t}"))]
    for seen in (dumped, rejected, *stored):
        assert not any(shown in seen for shown in ("1234 5678", "12345678", "1234-5678", "8765 4321"))


def test_identity_numbers_in_text_raw_lines_and_wrong_columns_are_masked_everywhere(ready: Engine, tmp_path: Path):
    number = files.person()
    spaced = f"{number[:6]}-{number[6:14]}-{number[14:]}"
    rows = [files.penalty(CODES[0], "罚1", 备注=f"当事人身份证号{spaced}"),
            files.penalty(number, "罚2"),  # the number in the code's column
            files.penalty(CODES[1], "罚3", 处罚内容="警告\u202e"),
            files.penalty(CODES[2], f"罚〔{number}〕号"),  # it would name the record: masked, two would be one
            files.penalty(CODES[3], "罚5", 违法事实="当事人旧身份证号130102800101123")]  # a first-generation one
    path = files.write_csv(tmp_path / "p.csv", rows)
    with path.open("a", encoding="utf-8") as fh:  # a row with an unclosed quote swallowing the line
        fh.write(f'"张三,自然人,,,身份证,{number},罚4\n')
    summary = ingest(ready, path)
    assert summary.created == 2 and summary.by_code["credit.identity_in_text"] == 2
    assert summary.by_code["credit.identity_in_document_number"] == 1
    assert summary.by_code["credit.subject_code"] == 1 and summary.by_code["credit.control_characters"] == 1
    dumped = json.dumps(summary.to_dict(), ensure_ascii=False)
    assert "shaped like a resident identity number" in dumped
    with ready.connect() as conn:
        rejected = json.dumps(list(records.batch_rejects(conn, summary.batch)), ensure_ascii=False)
        stored = [str(tuple(r)) for t in ("credit_records", "credit_record_versions", "credit_batches")
                  for r in conn.execute(text(f"SELECT * FROM {t}"))]
    for seen in (dumped, rejected, *stored):
        assert number not in seen and spaced not in seen and "130102800101123" not in seen
    assert shown(ready, CODES[3])["items"][0]["records"][0]["values"]["违法事实"] == "当事人旧身份证号130102*****1123"
    record = shown(ready, CODES[0])["items"][0]["records"][0]
    assert record["values"]["备注"].startswith("当事人身份证号130102********")


def test_a_file_of_no_records_says_it_is_kept_as_a_report_of_none_and_a_resend_names_its_rejects(
        ready: Engine, tmp_path: Path):
    empty = ingest(ready, files.write_csv(tmp_path / "none.csv", []))
    assert (empty.rows, empty.created, empty.rejected) == (0, 0, 0) and "零报告" in empty.message
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1"), files.penalty("bad", "罚2")])
    assert ingest(ready, path).created == 1
    again = ingest(ready, path)
    assert again.message.startswith("Nothing changed: this file was ingested as batch ")
    assert again.message.endswith("1 row was rejected all the same: see the problems, mend those rows and send them.")


@pytest.mark.parametrize(("file_name", "content"), [
    ("none.jsonl", "\n \n\n"), ("none.xml", '<?xml version="1.0"?><records></records>'), ("none.xml", "<records/>")])
def test_json_lines_or_xml_of_no_record_is_a_report_of_none_as_a_header_only_csv_is(
        ready: Engine, tmp_path: Path, file_name: str, content: str):
    path = tmp_path / file_name
    path.write_text(content, "utf-8")
    empty = ingest(ready, path)
    assert (empty.rows, empty.created, empty.rejected) == (0, 0, 0) and "零报告" in empty.message


def test_a_json_line_naming_the_document_number_twice_is_rejected_saying_so(ready: Engine, tmp_path: Path):
    path = files.write_jsonl(tmp_path / "p.jsonl", [files.penalty(CODES[0], "罚1"), files.penalty(CODES[1], "罚2")])
    lines = path.read_text("utf-8").splitlines()
    lines[1] = lines[1][:-1] + ', "行政处罚决定书文号": "罚3"}'
    path.write_text("\n".join(lines) + "\n", "utf-8")
    summary = ingest(ready, path)
    assert (summary.created, summary.rejected) == (1, 1)
    with ready.connect() as conn:
        rejected = json.dumps(list(records.batch_rejects(conn, summary.batch)), ensure_ascii=False)
    assert 'names the field \\"行政处罚决定书文号\\" twice' in rejected


def test_a_missing_header_mapping_file_is_not_found_naming_the_path_given_and_where_it_was_looked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputFileError) as info:
        records.load_own_headers("nosuch.yaml")
    assert info.value.code == "file.not_found"
    assert info.value.message.startswith("nosuch.yaml: no such file")
    assert str(tmp_path / "nosuch.yaml") in info.value.message
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(InputFileError) as info:
        records.load_own_headers("folder.yaml")
    assert info.value.code == "file.is_directory"


def test_a_file_of_no_byte_is_empty_whatever_its_name_says(ready: Engine, tmp_path: Path):
    for file_name in ("none.csv", "none.jsonl", "none.xml"):
        (tmp_path / file_name).write_bytes(b"")
        with pytest.raises(InputFileError) as info:
            ingest(ready, tmp_path / file_name)
        assert info.value.code == "file.empty"


def test_an_optional_field_first_given_after_the_first_chunk_of_json_lines_is_read(ready: Engine, tmp_path: Path):
    rows = [{k: v for k, v in files.penalty(CODES[0], f"罚{i}").items() if k != "备注"} for i in range(5)]
    rows.append(files.penalty(CODES[1], "罚9", 备注="后来才有的备注"))
    summary = records.ingest_file(ready, str(files.write_jsonl(tmp_path / "p.jsonl", rows)), files.PENALTY,
                                  files.PROVIDER, protector=PROTECTOR, today=TODAY, chunk_rows=2)
    assert (summary.created, summary.rejected) == (6, 0)
    assert shown(ready, CODES[1])["items"][0]["records"][0]["values"]["备注"] == "后来才有的备注"


def test_numbers_grouped_as_people_write_them_and_mobile_numbers_are_kept_masked(ready: Engine, tmp_path: Path):
    number = files.person()
    grouped = f"{number[:6]} {number[6:10]} {number[10:14]} {number[14:]}"
    dashed = f"{number[:6]}\u2013{number[6:14]}\u2013{number[14:]}"
    rows = [files.penalty(CODES[0], "罚1", 违法事实=f"举报人（手机13812345678，身份证{grouped}）反映",
                          备注=f"联系138-1234-5678，{dashed}"),
            files.penalty(CODES[1], "罚2", 违法事实="2026-04-25 2026-05-01 两次检查，电话0311-87654321")]
    path = files.write_csv(tmp_path / "p.csv", rows)
    with path.open("a", encoding="utf-8") as fh:  # an unclosed quote: the raw line comes back in the reject
        fh.write(f'"张三,自然人,,,身份证,{grouped},罚4,13900001111\n')
    summary = ingest(ready, path)
    assert summary.created == 2 and summary.rejected == 1
    assert summary.by_code["credit.identity_in_text"] == 2 and summary.by_code["credit.phone_in_text"] == 2
    with ready.connect() as conn:
        rejected = json.dumps(list(records.batch_rejects(conn, summary.batch)), ensure_ascii=False)
        stored = [str(tuple(r)) for t in ("credit_records", "credit_batches") for r in conn.execute(
            text(f"SELECT * FROM {t}"))]
    for seen in (json.dumps(summary.to_dict(), ensure_ascii=False), rejected, *stored):
        for clear in (number, grouped, dashed, "13812345678", "138-1234-5678", "13900001111"):
            assert clear not in seen
    first = shown(ready, CODES[0])["items"][0]["records"][0]["values"]
    assert first["违法事实"] == f"举报人（手机138****5678，身份证{number[:6]}********{number[14:]}）反映"
    assert first["备注"] == f"联系138****5678，{number[:6]}********{number[14:]}"
    other = shown(ready, CODES[1])["items"][0]["records"][0]["values"]  # dates and a landline are left as they are
    assert other["违法事实"] == "2026-04-25 2026-05-01 两次检查，电话0311-87654321"


def test_a_document_number_repeated_in_a_later_chunk_for_another_subject_is_refused(ready: Engine, tmp_path: Path):
    rows = [files.penalty(CODES[0], "罚1"), files.penalty(CODES[1], "罚2"), files.penalty(CODES[2], "罚1"),
            files.penalty(CODES[3], "罚3")]
    path = files.write_csv(tmp_path / "p.csv", rows)
    summary = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                  chunk_rows=2)  # the repeat is in the second chunk, under another subject
    assert (summary.created, summary.rejected, summary.by_code.get("credit.duplicate")) == (3, 1, 1)
    assert [p["row"] for p in summary.problems if p["code"] == "credit.duplicate"] == [4]
    with ready.connect() as conn:  # its values by the file's headers, as sent (as every other reject's)
        assert [r["values"] for r in records.batch_rejects(conn, summary.batch)] == [
            {h: v for h, v in rows[2].items() if v}]


def test_a_file_whose_every_row_is_rejected_does_not_say_nothing_changed(ready: Engine, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1", 处罚类别="罚金")])
    for summary in (ingest(ready, path), ingest(ready, path)):  # says so, and where every rejected row is
        assert summary.message.startswith("Every row was rejected: nothing of the file was recorded. 1 row was")
        assert f"credit rejects {summary.batch}" in summary.message and "Nothing changed" not in summary.message
    mapping = tmp_path / "big.yaml"
    mapping.write_text("a: b\n" * 300_000, encoding="utf-8")
    with pytest.raises(RecordsError) as big:
        records.load_own_headers(str(mapping))
    assert "at most 1 MiB" in big.value.message


def test_the_same_file_again_with_a_number_repeated_in_a_later_chunk_changes_nothing(ready: Engine, tmp_path: Path):
    rows = [files.penalty(CODES[0], "罚1"), files.penalty(CODES[1], "罚2"),
            files.penalty(CODES[0], "罚1", 处罚内容="罚款九万元"), files.penalty(CODES[3], "罚3")]
    path = files.write_csv(tmp_path / "p.csv", rows)
    first = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                chunk_rows=2)  # the repeat, with other values, is in the second chunk
    again = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                chunk_rows=2)
    assert (first.created, first.rejected, first.by_code.get("credit.duplicate")) == (3, 1, 1)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 1)
    assert again.by_code.get("credit.duplicate") == 1
    assert [p["row"] for p in again.problems if p["code"] == "credit.duplicate"] == [4]
    record = shown(ready, CODES[0])["items"][0]["records"][0]
    assert [h["version"] for h in record["history"]] == [1]
    third = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                chunk_rows=2)  # (the batch's table of ids went with its transaction)
    assert (third.created, third.updated, third.unchanged, third.rejected) == (0, 0, 3, 1)


def test_a_write_that_fails_in_a_later_chunk_leaves_nothing(ready: Engine, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch):
    rows = [files.penalty(CODES[i % 4], f"罚{i}") for i in range(7)]
    path = files.write_csv(tmp_path / "p.csv", rows)
    calls: list[str] = []
    copy = writing.bulk.copy_arrow

    def failing(conn: object, table: str, *args: object) -> None:  # (a chunk's new records go in by one copy)
        calls.append(table)
        if calls.count("credit_records") == 3:  # the third chunk's rows (on PostgreSQL, in the copy thread)
            raise OSError("the disk is full")
        copy(conn, table, *args)  # type: ignore[arg-type]
    monkeypatch.setattr(writing.bulk, "copy_arrow", failing)
    with pytest.raises(OSError, match="disk is full"):
        records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                            chunk_rows=2)
    with ready.connect() as conn:
        assert conn.execute(select(credit_records.c.id)).all() == []
        assert conn.execute(select(credit_batches.c.id)).all() == []
    monkeypatch.setattr(writing.bulk, "copy_arrow", copy)
    summary = records.ingest_file(ready, str(path), files.PENALTY, files.PROVIDER, protector=PROTECTOR, today=TODAY,
                                  chunk_rows=2)
    assert (summary.created, summary.rejected) == (7, 0)


def test_a_file_sent_again_after_a_later_edition_shortened_a_limit_keeps_the_values_kept_under_the_longer_one(
        ready: Engine, tmp_path: Path):
    """2027 shortens the document number to 16 characters and 处罚内容 to 8. A record kept under 2026's longer
    limits and sent again as it is changes nothing; sent with another field changed, it is updated, its long
    values kept — each said with a warning. A long value other than the one recorded, and a new record over
    the new limit, are refused as before."""
    short, long = "罚〔2026〕75号", "石家庄市市场监督管理局罚〔2026〕76号"  # 21 characters
    decided = {"处罚决定日期": "2026-11-02"}
    rows = [files.penalty(CODES[0], n, **decided) for n in (short, long)]  # 处罚内容 of 11 characters
    assert ingest(ready, files.write_csv(tmp_path / "p.csv", rows), today=datetime.date(2026, 11, 5)).created == 2
    shorter = {"CF_WSH": 16, "CF_NR": 8}
    fields = [dict(f, max_length=shorter.get(f["element"], f["max_length"]))
              for f in core_catalogue.item_to_dict(core_catalogue.default_item(files.PENALTY))["fields"]]
    with ready.begin() as conn:
        files.publish(conn, 2027, {files.PENALTY: {"fields": fields}})
    january = datetime.date(2027, 1, 6)

    again = ingest(ready, files.write_csv(tmp_path / "again.csv", rows), today=january)  # as sent: nothing changes
    assert (again.rows, again.unchanged, again.updated, again.rejected, again.warnings) == (2, 2, 0, 0, 2)
    assert again.by_code["credit.length_kept"] == 3
    assert again.message.startswith("Nothing changed:")
    assert "3 value(s) of this file are longer than the 2027 edition allows, and were kept" in again.message
    said = {(p["row"], p["field"]): p["message"] for p in again.problems if p["code"] == "credit.length_kept"}
    assert set(said) == {(2, "处罚内容"), (3, "处罚内容"), (3, "行政处罚决定书文号")}
    assert said[3, "行政处罚决定书文号"].startswith("行政处罚决定书文号: 21 characters, more than the 16 the catalogue "
                                                 "edition in force allows; the record holds this value as an earlier "
                                                 "edition allowed it, and keeps it")

    other = files.penalty(CODES[0], long, 违法事实="当事人销售的电热水壶经复检仍不合格。", **decided)
    updated = ingest(ready, files.write_csv(tmp_path / "other.csv", [other]), today=january)
    assert (updated.updated, updated.rejected, updated.warnings) == (1, 0, 1)
    assert updated.by_code["credit.length_kept"] == 2
    with ready.begin() as conn:
        kept = conn.execute(select(credit_records.c.version, credit_records.c.data).where(
            credit_records.c.document_number == long)).one()
    assert kept.version == 2
    assert (json.loads(kept.data)["CF_WSH"], json.loads(kept.data)["CF_NR"]) == (long, "警告，罚款人民币2万元")

    refused = [files.penalty(CODES[0], long, 处罚内容="警告，罚款人民币3万元", **decided),  # a long value changed
               files.penalty(CODES[1], long + "甲", **decided),  # a new record: its number over the new limit
               files.penalty(CODES[1], "罚〔2027〕1号", 处罚决定日期="2027-01-04")]  # a new one: 处罚内容 over it
    summary = ingest(ready, files.write_csv(tmp_path / "refused.csv", refused), today=january)
    assert (summary.rows, summary.rejected, summary.created, summary.updated) == (3, 3, 0, 0)
    assert set(summary.by_code) == {"record.length"}
    with ready.connect() as conn:
        rejected = {r["row"]: r["problems"] for r in records.batch_rejects(conn, summary.batch)}
    assert sorted(rejected) == [2, 3, 4]
    assert [p["field"] for p in rejected[2]] == ["处罚内容"]  # (not the number: the record holds it)
    assert rejected[2][0]["message"] == ("处罚内容: 11 characters, at most 8 allowed. The record holds another value, "
                                         "kept under an earlier edition's longer limit: only that value, sent "
                                         "unchanged, is kept.")
    assert [p["message"] for p in rejected[3]] == ["行政处罚决定书文号: 22 characters, at most 16 allowed.",
                                                   "处罚内容: 11 characters, at most 8 allowed."]
    respelled = files.penalty(CODES[0], long.replace("〔", "(").replace("〕", ")"), **decided)  # one decision, as
    summary = ingest(ready, files.write_csv(tmp_path / "respelled.csv", [respelled]), today=january)  # compared
    assert (summary.rejected, summary.by_code) == (1, {"record.length": 1})  # but a value other than the one held
    with ready.connect() as conn:
        assert conn.execute(select(func.count()).select_from(credit_records)).scalar_one() == 2
        assert conn.execute(select(credit_records.c.version).where(
            credit_records.c.document_number == long)).scalar_one() == 2


def test_the_end_of_publication_a_provider_states_is_kept_within_the_severity_s_period(ready: Engine, tmp_path: Path):
    """A general penalty is public 3 to 12 months from its decision: an end stated within that range ends its
    publication, one before the minimum is held to the minimum, one after the maximum is cut to it. (Days
    from today: a record is not shown on a day before the platform held it.)"""
    decided = working_days.today() - datetime.timedelta(days=5)
    least, most = add_months(decided, 3), add_months(decided, 12)
    stated = {CODES[0]: add_months(decided, 5), CODES[1]: decided + datetime.timedelta(days=20),
              CODES[2]: add_months(decided, 30)}
    rows = [files.penalty(code, f"罚〔2026〕8{i}号", 处罚决定日期=decided.isoformat(), 公示截止期=day.isoformat(),
                          处罚有效期=add_months(decided, 12).isoformat())
            for i, (code, day) in enumerate(stated.items())]
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", rows), today=working_days.today())
    assert (summary.created, summary.by_code["credit.stated_period"]) == (3, 2)  # kept, with a warning
    assert {p["message"].split(";")[1] for p in summary.problems if p["code"] == "credit.stated_period"} == {
        f" it is published until {least.isoformat()}.", f" it is published until {most.isoformat()}."}

    def public(code: str, day: datetime.date) -> list[str | None]:
        with ready.begin() as conn:
            seen = disclosure.subject_records(conn, access.PUBLIC, code, PROTECTOR, today=day)
        return [r["public_until"] for g in seen["items"] for r in g["records"]]

    one = datetime.timedelta(days=1)
    assert public(CODES[0], stated[CODES[0]]) == [stated[CODES[0]].isoformat()]
    assert public(CODES[0], stated[CODES[0]] + one) == []
    assert public(CODES[1], least) == [least.isoformat()] and public(CODES[1], least + one) == []
    assert public(CODES[2], most) == [most.isoformat()] and public(CODES[2], most + one) == []


def test_a_natural_person_s_record_is_never_filed_under_an_organization_s_code(ready: Engine, tmp_path: Path):
    person = files.penalty(None, "罚〔2026〕91号")
    both = dict(files.penalty(None, "罚〔2026〕92号"), 统一社会信用代码=CODES[0])  # 自然人, and an organization's code
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", [person, both]))
    assert (summary.created, summary.rejected, summary.by_code.get("credit.person_with_code")) == (1, 1, 1)
    assert files.person() not in json.dumps(summary.to_dict(), ensure_ascii=False)
    assert shown(ready, CODES[0])["records"] == 0  # nothing of the person under the organization
    with ready.begin() as conn, pytest.raises(RecordsError) as exc:  # nor moved there by a correction
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚〔2026〕91号",
                                   {"统一社会信用代码": CODES[0]}, "更正", TODAY, protector=PROTECTOR, today=TODAY)
    assert exc.value.code == "credit.correction" and "[credit.person_with_code]" in str(exc.value)
    assert files.person() not in str(exc.value)
    assert shown(ready, files.person())["records"] == 1


def test_facts_typed_over_several_lines_are_kept_and_the_same_file_again_changes_nothing(ready: Engine,
                                                                                      tmp_path: Path):
    """A CSV's quoted field with line ends in it (Excel's Alt+Enter, saved with Windows line ends) and a
    workbook's cell of several lines are the same record: kept with ``\\n``, on either database."""
    facts = "当事人销售过期食品。\r\n经查，当事人称\"不知情\"。"
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚〔2026〕1号", 违法事实=facts)])
    first = ingest(ready, path)
    assert (first.created, first.rejected) == (1, 0), first.problems
    with ready.connect() as conn:
        data = json.loads(conn.execute(select(credit_records.c.data)).scalar_one())
    assert data["CF_SY"] == "当事人销售过期食品。\n经查，当事人称\"不知情\"。"
    book = files.write_xlsx(tmp_path / "p.xlsx", [files.penalty(CODES[0], "罚〔2026〕1号", 违法事实=data["CF_SY"])])
    again = ingest(ready, book)
    assert (again.unchanged, again.created, again.updated, again.rejected) == (1, 0, 0, 0)




def test_a_document_number_recorded_for_another_subject_is_refused_without_showing_that_subject(
        ready: Engine, tmp_path: Path):
    """A later file whose row gives a recorded document number to another subject (another person's identity
    number, another organization's code — brackets written otherwise still the same number) is refused: the
    record stays its subject's, and the refusal names neither that subject nor its code or number. The same
    subject's row updates the record as any resubmission does."""
    zhang, li = files.person(11, "19800101"), files.person(22, "19900202")
    first = [files.penalty(None, "罚〔2026〕100号", 行政相对人名称="张三", 证件号码=zhang),
             files.penalty(CODES[0], "石市监罚〔2026〕101号", 行政相对人名称="石家庄市甲有限公司")]
    assert ingest(ready, files.write_csv(tmp_path / "a.csv", first)).created == 2
    second = [files.penalty(None, "罚〔2026〕100号", 行政相对人名称="李四", 证件号码=li),
              files.penalty(CODES[1], "石市监罚(2026)101号", 行政相对人名称="石家庄市乙有限公司")]
    summary = ingest(ready, files.write_csv(tmp_path / "b.csv", second))
    assert (summary.created, summary.updated, summary.rejected) == (0, 0, 2)
    assert summary.by_code["credit.other_subject"] == 2
    with ready.connect() as conn:
        rejected = list(records.batch_rejects(conn, summary.batch))
    assert [(r["row"], [p["code"] for p in r["problems"]]) for r in rejected] == [
        (2, ["credit.other_subject"]), (3, ["credit.other_subject"])]
    assert rejected[0]["values"] == {h: li[:6] + "********" + li[14:] if h == "证件号码" else v
                                     for h, v in second[0].items() if v}  # by the file's headers, as sent
    assert rejected[0]["values"]["失信严重程度"] == "一般"
    message = rejected[0]["problems"][0]["message"]
    assert "recorded for another subject" in message and "jjjcredit credit correct" in message
    assert "its own document number" in message
    told = json.dumps([summary.to_dict(), rejected], ensure_ascii=False)
    for other in ("张三", zhang, zhang[:6] + "********" + zhang[14:], "石家庄市甲有限公司", CODES[0],
                  persons.PERSON_PREFIX):
        assert other not in told
    for number, name in ((zhang, "张三"), (CODES[0], "石家庄市甲有限公司")):
        record = shown(ready, number)["items"][0]["records"][0]
        assert record["values"]["行政相对人名称"] == name
        assert {h["action"] for h in record["history"]} <= {"created", "updated"}
    assert shown(ready, li)["records"] == 0 and shown(ready, CODES[1])["records"] == 0
    own = files.penalty(CODES[0], "石市监罚（2026）101号", 行政相对人名称="石家庄市甲有限公司", 处罚内容="警告")
    assert ingest(ready, files.write_csv(tmp_path / "c.csv", [own])).updated == 1  # its own subject: updated
    assert shown(ready, CODES[0])["items"][0]["records"][0]["values"]["处罚内容"] == "警告"
    with ready.connect() as conn:  # nothing of the first subjects' kept under the second
        keys = conn.execute(text("SELECT DISTINCT subject_key FROM credit_record_versions")).scalars().all()
    assert keys == [CODES[0]]


def test_columns_not_read_are_named_with_how_to_map_them(ready: Engine, tmp_path: Path):
    """A column that is none of the item's fields is not read, and the summary's message says which and how a
    provider maps a header of its own to a field (on the command line and over the API alike); a header that
    is an identity number is masked there as everywhere."""
    number = files.person()
    row = dict(files.penalty(CODES[0], "罚1"), 公示截至期="2027-05-19", **{number: "x", "": ""})
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", [row]))
    assert summary.created == 1
    assert "“公示截至期”" in summary.message and "“130102********" in summary.message
    assert "were not read" in summary.message and "公示截止期" in summary.message  # the field it may have meant
    assert "--columns" in summary.message and "columns=" in summary.message
    assert number not in json.dumps(summary.to_dict(), ensure_ascii=False)
    plain = ingest(ready, files.write_csv(tmp_path / "q.csv", [files.penalty(CODES[0], "罚1")]))
    assert "not read" not in plain.message


def test_the_same_file_again_leaves_a_record_corrected_since_as_corrected_and_says_so(ready: Engine, tmp_path: Path):
    """A file sent again (the same bytes) is older than a correction made since it came: the corrected record
    is left as corrected — its values, and a subject the correction changed — with a warning, and the message
    names the batch the file came in. A record not corrected since is unchanged; a file with other bytes is
    the provider's truth again, as always (but never moves a record to another subject)."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1"), files.penalty(CODES[0], "罚2"),
                                                files.penalty(CODES[0], "罚3")])
    first = ingest(ready, path)
    with ready.begin() as conn:
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚1", {"处罚内容": "警告"}, "更正笔误",
                                   datetime.date(2026, 5, 25), protector=PROTECTOR, today=TODAY)
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚2", {"统一社会信用代码": CODES[1]},
                                   "主体代码有误", datetime.date(2026, 5, 25), protector=PROTECTOR, today=TODAY)
    again = ingest(ready, path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert again.by_code["credit.corrected_since"] == 2
    assert sorted(p["row"] for p in again.problems if p["code"] == "credit.corrected_since") == [2, 3]
    assert again.message.startswith(f"Nothing changed: this file was ingested as batch {first.batch} on ")
    assert "2 records it holds were corrected since" in again.message and "left as corrected" in again.message
    by_number = {r["document_number"]: r for r in shown(ready, CODES[0])["items"][0]["records"]}
    assert by_number["罚1"]["values"]["处罚内容"] == "警告" and by_number["罚1"]["version"] == 2
    assert set(by_number) == {"罚1", "罚3"}
    assert shown(ready, CODES[1])["items"][0]["records"][0]["version"] == 2
    other_file = files.write_csv(tmp_path / "q.csv", [files.penalty(CODES[0], "罚1"), files.penalty(CODES[0], "罚2")])
    other = ingest(ready, other_file)
    assert (other.updated, other.rejected, other.by_code["credit.other_subject"]) == (1, 1, 1)
    assert "corrected since" not in other.message
    resent = ingest(ready, other_file)  # corrected before this file first came: refused again, not left so
    assert (resent.unchanged, resent.rejected, resent.by_code["credit.other_subject"]) == (1, 1, 1)
    assert "credit.corrected_since" not in resent.by_code
    assert shown(ready, CODES[0])["items"][0]["records"][0]["values"]["处罚内容"] == "警告，罚款人民币2万元"


def test_a_file_without_a_column_leaves_the_values_its_records_hold_of_it(ready: Engine, tmp_path: Path):
    """A provider sends its penalties again in a file of fewer columns — or with the fine under a header the
    platform does not read (罚款金额（元）, listed as not read): the records it updates keep their fine and their
    stated end of publication, and the message says so; a column sent with the cell empty clears a value."""
    first = [files.penalty(CODES[0], "罚1", 公示截止期="2027-05-19"), files.penalty(CODES[0], "罚2")]
    ingest(ready, files.write_csv(tmp_path / "p.csv", first))
    fewer = []
    for row in first:
        row = {h: v for h, v in row.items() if h not in ("罚款金额（万元）", "公示截止期")}
        fewer.append(dict(row, **{"罚款金额（元）": "20000"}))
    fewer[1]["处罚内容"] = "罚款人民币2万元（更正）"
    again = ingest(ready, files.write_csv(tmp_path / "q.csv", fewer))
    assert (again.updated, again.unchanged, again.rejected) == (1, 1, 0)
    assert "no column for 罚款金额（万元）、公示截止期" in again.message and "keep the values" in again.message
    assert "“罚款金额（元）”" in again.message  # the column not read is named as ever
    by_number = {r["document_number"]: r for r in shown(ready, CODES[0])["items"][0]["records"]}
    assert by_number["罚1"]["values"]["罚款金额（万元）"] == "2" and by_number["罚1"]["version"] == 1
    assert by_number["罚1"]["values"]["公示截止期"] == "2027-05-19"
    assert by_number["罚2"]["values"]["罚款金额（万元）"] == "2" and by_number["罚2"]["version"] == 2
    row = files.penalty(CODES[0], "罚1", 处罚类别="警告", **{"罚款金额（万元）": ""})
    del row["公示截止期"]
    cleared = ingest(ready, files.write_csv(tmp_path / "r.csv", [row]))
    assert cleared.updated == 1 and "no column for 公示截止期:" in cleared.message
    record = {r["document_number"]: r for r in shown(ready, CODES[0])["items"][0]["records"]}["罚1"]
    assert "罚款金额（万元）" not in record["values"] and record["values"]["公示截止期"] == "2027-05-19"


def test_a_sheet_whose_first_rows_are_a_title_and_who_filled_it_in_is_read_below_them(ready: Engine, tmp_path: Path):
    """A WPS template: a title (one merged cell), then 填报单位 and 填报日期 (two cells), then the column names. The
    header is the row that names the item's fields; when no row does, the second row is the first of two cells or
    more, taken as the header, and the refusal says so, and what to do."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["行政处罚信息报送表"])
    sheet.append(["填报单位：石家庄市市场监督管理局", None, "填报日期：2026年5月25日"])
    sheet.append(files.HEADER)
    sheet.append(list(files.penalty(CODES[0], "罚1").values()))
    book.save(tmp_path / "p.xlsx")
    summary = ingest(ready, tmp_path / "p.xlsx")
    assert (summary.header_row, summary.created) == (3, 1)
    for column, _ in enumerate(files.HEADER, start=1):
        sheet.cell(3, column, f"第{column}列")  # column names of no field
    book.save(tmp_path / "q.xlsx")
    with pytest.raises(RecordsError) as refused:
        ingest(ready, tmp_path / "q.xlsx")
    assert refused.value.code == "credit.layout"
    assert "The header read (row 2) has 3 columns" in refused.value.message
    assert "Row 2 is the first of the file with two cells or more filled" in refused.value.message
    assert "delete the rows above them" in refused.value.message


def test_a_provider_written_another_way_than_one_that_provided_before_is_refused(ready: Engine, tmp_path: Path):
    """A record's identity holds its provider: the same department typed with a full-width letter or other
    brackets would publish its decisions twice, so such a name is refused, naming the one it stands for."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    for first, again in (("测试局A", "测试局Ａ"), ("河北省市场监督管理局(石家庄)", "河北省市场监督管理局（石家庄）")):
        assert records.ingest_file(ready, str(path), files.PENALTY, first, protector=PROTECTOR,
                                   today=TODAY).created == 1
        with pytest.raises(RecordsError) as refused:
            records.ingest_file(ready, str(path), files.PENALTY, again, protector=PROTECTOR, today=TODAY)
        assert refused.value.code == "credit.provider" and f'("{first}")' in refused.value.message
        assert records.ingest_file(ready, str(path), files.PENALTY, f" {first} ", protector=PROTECTOR,
                                   today=TODAY).unchanged == 1  # the same name, spaces trimmed: the same provider
    with ready.begin() as conn:  # two spellings that provided before this was refused: each keeps its name
        conn.execute(text("INSERT INTO credit_tallies (provider, item, records, late, late_examples) "
                          "VALUES ('测试局Ａ', :item, 0, 0, '[]')"), {"item": files.LICENCE})
    assert records.ingest_file(ready, str(path), files.PENALTY, "测试局Ａ", protector=PROTECTOR,
                               today=TODAY).created == 1
    assert records.ingest_file(ready, str(path), files.PENALTY, "测试局A", protector=PROTECTOR,
                               today=TODAY).unchanged == 1


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_filing_line_above_the_column_names_is_skipped_as_a_title(ready: Engine, tmp_path: Path, suffix: str):
    """Department exports put 填报单位 and 填报日期 in two cells above the column names: the header is the row that
    names the item's fields, the lines above it are titles, and the rows below are the records."""
    rows = [files.penalty(CODES[0], "罚1"), files.penalty(CODES[1], "罚2")]
    path = (files.write_csv if suffix == ".csv" else files.write_xlsx)(tmp_path / f"p{suffix}", rows)
    if suffix == ".csv":
        path.write_text("2026年行政处罚信息\n填报单位：某某局,填报日期：2026-03-01\n" + path.read_text("utf-8-sig"),
                        "utf-8")
    else:
        import openpyxl

        book = openpyxl.load_workbook(path)
        book.active.insert_rows(1, 2)
        sheet = book.active
        sheet["A1"], sheet["A2"], sheet["B2"] = "2026年行政处罚信息", "填报单位：某某局", "填报日期：2026-03-01"
        book.save(path)
    summary = ingest(ready, path)
    assert (summary.header_row, summary.created, summary.rejected) == (3, 2, 0), summary.problems
