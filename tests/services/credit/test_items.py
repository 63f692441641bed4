"""Which catalogue item applies to credit records (services/credit/items.py): a withdrawn item, a layout a
later edition narrowed, the deadline in force when the decision was made."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from jjjcredit.core.credit import catalogue as core_catalogue
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.sharing import access
from jjjcredit.services.credit import catalogue, corrections, timeliness
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.sharing import disclosure
from jjjcredit.storage.schema import catalogue_editions, credit_records
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, PROTECTOR, READER, ingest


def test_the_records_of_a_withdrawn_item_keep_their_rules_and_nothing_new_comes(ready: Engine, tmp_path: Path):
    decided = datetime.date(2026, 11, 2)
    rows = [files.penalty(CODES[0], "罚〔2026〕71号", 处罚决定日期=decided.isoformat(), 处罚有效期="2027-11-01")]
    ingest(ready, files.write_csv(tmp_path / "p.csv", rows), today=datetime.date(2026, 11, 5))
    files.withdraw_in_2027(ready, files.PENALTY)
    january = datetime.date(2027, 1, 6)
    with ready.begin() as conn:  # the public still sees a penalty of 2026 in its window, under its item
        seen = disclosure.subject_records(conn, access.PUBLIC, CODES[0], PROTECTOR, today=january)
        assert [(g["item"], g["item_name"], len(g["records"])) for g in seen["items"]] == [
            (files.PENALTY, "行政处罚信息", 1)]
        assert seen["items"][0]["records"][0]["public_until"] == "2027-11-02"
        (line,) = timeliness.timeliness(conn, today=january)[0]
        assert (line.item_name, line.withdrawn_in, line.silent) == ("行政处罚信息", 2027, False)
    with pytest.raises(RecordsError) as exc:  # nothing new under it, and the operator is told why
        ingest(ready, files.write_csv(tmp_path / "q.csv", [files.penalty(CODES[1], "罚〔2026〕72号")]), today=january)
    assert exc.value.code == "credit.withdrawn_item"
    assert "withdrawn from the catalogue by its 2027 edition (并入严重失信主体名单事项)" in exc.value.message
    with ready.begin() as conn:  # a record kept before is still revoked (and so leaves public view)
        revoked = corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "罚〔2026〕71号", "复议撤销",
                                            datetime.date(2027, 1, 5), today=january)
        assert revoked["status"] == "revoked"
        assert disclosure.subject_records(conn, access.PUBLIC, CODES[0], PROTECTOR, today=january)["records"] == 0


def test_a_layout_a_later_edition_narrowed_loses_no_value_and_locks_no_record(ready: Engine, tmp_path: Path):
    short, long = "罚〔2026〕73号", "石家庄市市场监督管理局罚〔2026〕74号"  # 21 characters: over 2027's limit of 16
    rows = [files.penalty(CODES[0], n, 备注="当事人已缴纳罚款", 处罚决定日期="2026-11-02") for n in (short, long)]
    ingest(ready, files.write_csv(tmp_path / "p.csv", rows), today=datetime.date(2026, 11, 5))
    fields = [dict(f, max_length=16) if f["element"] == "CF_WSH" else f
              for f in core_catalogue.item_to_dict(core_catalogue.default_item(files.PENALTY))["fields"]
              if f["element"] != "BZ"]  # 2027 drops 备注 and shortens the document number
    with ready.begin() as conn:
        catalogue.draft_edition(conn, 2027, "河北省发展改革委")
        catalogue.change_item(conn, files.PENALTY, {"fields": fields}, "精简数据项", "河北省发展改革委", year=2027)
        catalogue.open_comments(conn, 2027, "河北省发展改革委")
        catalogue.assess_item(conn, 2027, files.CONTESTED, "同意", "同意", "保留", "河北省发展改革委")
        catalogue.approve_edition(conn, 2027, "河北省人民政府")
        catalogue.publish_edition(conn, 2027, "河北省发展改革委")
    january = datetime.date(2027, 1, 6)
    again = ingest(ready, files.write_csv(tmp_path / "a.csv", rows[:1]), today=january)  # as sent: nothing changes
    assert (again.unchanged, again.updated, again.created) == (1, 0, 0)
    assert "Column(s) 备注 of this file are fields an earlier edition's JJJ-03-001 had" in again.message
    with ready.begin() as conn:  # a value kept under the longer limit stays correctable, and 备注 stays
        done = corrections.correct_record(conn, files.PENALTY, files.PROVIDER, long,
                                          {"处罚内容": "警告，罚款人民币3万元"}, "更正金额", datetime.date(2027, 1, 5),
                                          protector=PROTECTOR, today=january)
        assert done["version"] == 2
        data = json.loads(conn.execute(select(credit_records.c.data).where(
            credit_records.c.document_number == long)).scalar_one())
        assert (data["BZ"], data["CF_NR"]) == ("当事人已缴纳罚款", "警告，罚款人民币3万元")
        seen = disclosure.subject_records(conn, READER, CODES[0], PROTECTOR, today=january)["items"][0]["records"]
        assert {r["values"].get("备注") for r in seen} == {"当事人已缴纳罚款"}  # a dropped field, by its name
        with pytest.raises(RecordsError) as exc:  # a value the correction sets meets the new limit, said by name
            corrections.correct_record(conn, files.PENALTY, files.PROVIDER, short, {"违法行为类型": "x" * 2001},
                                       "更正", datetime.date(2027, 1, 5), protector=PROTECTOR, today=january)
        assert "违法行为类型 (CF_WFXW): 2001 characters" in exc.value.message
    fresh = files.penalty(CODES[1], long + "甲", 处罚决定日期="2027-01-04")  # a new record meets the new limit
    assert ingest(ready, files.write_csv(tmp_path / "q.csv", [fresh]), today=january).rejected == 1


def test_a_deadline_is_judged_by_the_limit_in_force_when_the_decision_was_made(ready: Engine):
    with ready.begin() as conn:
        files.publish(conn, 2027, {files.PENALTY: {"collection_time_limit": "作出决定之日起5个工作日内"}})
        _year, item = credit_items.item_in_force(conn, files.PENALTY, datetime.date(2027, 1, 6))
        assert credit_items.collection_days(item) == 5
        assert credit_items.collection_days_on(conn, item, datetime.date(2026, 12, 28)) == 7  # the 2026 edition's
        assert credit_items.collection_days_on(conn, item, datetime.date(2027, 1, 4)) == 5
        assert credit_items.collection_days_on(conn, item, datetime.date(2020, 1, 2)) == 5  # before any edition
        # published late in its year: a decision before that day was still under the 2026 edition's limit
        conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == 2027).values(
            published_at=datetime.datetime(2027, 3, 1, 2, tzinfo=datetime.UTC)))
        assert credit_items.collection_days_on(conn, item, datetime.date(2027, 2, 1)) == 7
        assert credit_items.collection_days_on(conn, item, datetime.date(2027, 3, 1)) == 5


