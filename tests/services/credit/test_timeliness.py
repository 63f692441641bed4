"""Timeliness of credit records and retirements of providers (services/credit/timeliness.py): late records
by working days, silent providers, the tallies the report reads."""

from __future__ import annotations

import datetime
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from jjjcredit.core.credit import working_days
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.services.credit import corrections, providers, timeliness
from jjjcredit.services.credit import items as credit_items
from jjjcredit.storage.schema import credit_batches, credit_records, credit_tallies
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, PROTECTOR, TODAY, ingest


def test_timeliness_reports_late_records_silent_providers_and_items_nobody_sent(ready: Engine, tmp_path: Path):
    rows = [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-05-20"),  # due 2026-05-29: late on 2026-06-01
            files.penalty(CODES[1], "罚2", 处罚决定日期="2026-05-28")]  # due 2026-06-08: in time
    ingest(ready, files.write_csv(tmp_path / "p.csv", rows))
    with ready.connect() as conn:
        due = conn.execute(select(credit_records.c.document_number, credit_records.c.due_on, credit_records.c.late)
                           .order_by(credit_records.c.document_number)).all()
        assert [tuple(d) for d in due] == [("罚1", "2026-05-29", 1), ("罚2", "2026-06-08", 0)]
        now, nothing = timeliness.timeliness(conn)  # (today in Beijing: the machine's date may be the day before)
        later, _ = timeliness.timeliness(conn, working_days.today() + datetime.timedelta(days=30))
    assert [(t.provider, t.item, t.records, t.late, t.late_examples) for t in now] == \
        [(files.PROVIDER, files.PENALTY, 2, 1, ("罚1",))]
    assert not now[0].silent and later[0].silent  # 每日: nothing sent for 30 days
    assert files.PENALTY not in {i["item"] for i in nothing} and files.LICENCE in {i["item"] for i in nothing}
    assert "JJJ-01-001" not in {i["item"] for i in nothing}  # registration is not a credit records item


def test_a_decision_date_changed_later_is_judged_again_for_lateness(ready: Engine, tmp_path: Path):
    """A record sent in time, then resent or corrected with an earlier decision date (the one it really
    had), is late from then on, its deadline with it: a recent date sent first does not escape the report.
    A resubmission that keeps the date keeps the judgment."""
    first = [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-05-28"),  # due 2026-06-08: in time on 2026-06-01
             files.penalty(CODES[1], "罚2", 处罚决定日期="2026-05-28")]
    assert ingest(ready, files.write_csv(tmp_path / "a.csv", first)).late == 0
    again = ingest(ready, files.write_csv(tmp_path / "b.csv", [
        files.penalty(CODES[0], "罚1", 处罚决定日期="2026-05-06"), files.penalty(CODES[1], "罚2", 处罚内容="警告",
                                                                          处罚决定日期="2026-05-28")]))
    assert (again.updated, again.late) == (2, 1)
    with ready.begin() as conn:
        done = corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚2", {"处罚决定日期": "2026-05-06"},
                                          "更正决定日期", TODAY, protector=PROTECTOR, today=TODAY)
        due = conn.execute(select(credit_records.c.document_number, credit_records.c.due_on, credit_records.c.late)
                           .order_by(credit_records.c.document_number)).all()
        stored, counted = files.tallies(conn)
        _year, item = credit_items.item_in_force(conn, files.PENALTY, TODAY)
        expected = credit_items.due_on(item, datetime.date(2026, 5, 6))
    assert done["late"] and expected is not None and expected < TODAY
    assert [tuple(d) for d in due] == [("罚1", expected.isoformat(), 1), ("罚2", expected.isoformat(), 1)]
    assert stored == counted and stored[0][3] == 2


def test_a_retired_provider_is_never_silent_until_it_sends_again(ready: Engine, tmp_path: Path):
    """A department merged into another sends nothing more: once retired under the item, the report stops
    calling it silent (its records and figures stay) — but an item whose every provider is retired is
    reported as one nobody sends. A batch it sends later, or the operator, ends the retirement; every
    retirement stays on record with how it ended."""
    later = working_days.today() + datetime.timedelta(days=30)
    ingest(ready, files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")]))
    with ready.begin() as conn:
        for provider, item, reason, by, code in (
                (files.PROVIDER, files.PENALTY, " ", "发改委", "credit.reason"),
                (files.PROVIDER, files.PENALTY, "机构改革", "", "credit.reason"),
                (files.PROVIDER, files.PENALTY, "经办人13812345678", "发改委", "credit.reason"),
                ("从未报送的部门", files.PENALTY, "机构改革", "发改委", "credit.unknown_pair"),
                (files.PROVIDER, "JJJ-99-001", "机构改革", "发改委", "credit.unknown_item"),
                (files.PROVIDER, files.PENALTY.lower(), "机构改革", "发改委", "credit.unknown_item")):
            with pytest.raises(RecordsError) as refused:
                timeliness.retire_provider(conn, provider, item, reason, by)
            assert refused.value.code == code and "13812345678" not in refused.value.message
        assert [t.silent for t in timeliness.timeliness(conn, later)[0]] == [True]
        why = "机构改革，职责划入市场监管局"
        done = timeliness.retire_provider(conn, files.PROVIDER, f" {files.PENALTY} ", why, "发改委")
        assert (done["provider"], done["item"], done["by"], done["reason"]) == (files.PROVIDER, files.PENALTY,
                                                                                 "发改委", why)
        with pytest.raises(RecordsError) as twice:  # a second one would hide the first
            timeliness.retire_provider(conn, files.PROVIDER, files.PENALTY, "again", "运维")
        assert twice.value.code == "credit.retired" and why in twice.value.message
        (retired,), nothing = timeliness.timeliness(conn, later)
    assert (retired.silent, retired.records, retired.retired_reason, retired.retired_by) == (False, 1, why, "发改委")
    assert retired.to_dict()["retired"] is not None and retired.to_dict()["retired_by"] == "发改委"
    unsent = {i["item"]: i["every_provider_retired"] for i in nothing}
    assert unsent[files.PENALTY] is True and unsent[files.LICENCE] is False  # nobody is expected to send either
    ingest(ready, files.write_csv(tmp_path / "q.csv", [files.penalty(CODES[1], "罚2")]))  # it sends again
    with ready.begin() as conn:
        (back,), nothing = timeliness.timeliness(conn, later)
        assert (back.retired, back.records, back.silent) == (None, 2, True)
        assert files.PENALTY not in {i["item"] for i in nothing}
        with pytest.raises(RecordsError) as not_retired:
            timeliness.end_retirement(conn, files.PROVIDER, files.PENALTY, "运维")
        assert not_retired.value.code == "credit.retired"
        timeliness.retire_provider(conn, files.PROVIDER, files.PENALTY, "误操作", "运维")
        timeliness.end_retirement(conn, files.PROVIDER, files.PENALTY, "运维")  # given by mistake: ended by hand
        kept = timeliness.retirements(conn, files.PROVIDER)
    assert [(k["reason"], k["by"], k["ended_by"] is not None) for k in kept] == [(why, "发改委", True),
                                                                                ("误操作", "运维", True)]
    assert kept[0]["ended_by"].startswith("C") and kept[1]["ended_by"] == "运维"  # the batch, then who ended it


def test_a_retirement_waiting_for_a_batch_of_the_pair_is_refused_when_the_batch_commits(ready: Engine,
                                                                                        tmp_path: Path):
    """An operator retires a provider while a batch of its is being written: the retirement waits for the
    pair's lock (and says so on PostgreSQL), the batch commits, and the retirement is refused — the
    provider has just sent — instead of leaving it marked retired after its batch."""
    ingest(ready, files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")]))
    waits = threading.Event()
    outcome: list[str] = []

    def retire() -> None:
        try:
            with ready.begin() as conn:
                timeliness.retire_provider(conn, files.PROVIDER, files.PENALTY, "机构改革", "发改委", waiting=waits.set)
            outcome.append("retired")
        except RecordsError as exc:
            outcome.append(exc.code)

    with ready.connect() as batch:  # a batch of the pair being written: it holds the pair's lock
        batch.begin()
        providers.take_lock(batch, files.PROVIDER, files.PENALTY)
        thread = threading.Thread(target=retire)
        thread.start()
        if ready.dialect.name == "postgresql":
            assert waits.wait(10)  # the retirement says it waits for the batch
        else:  # one writer: it waits for the batch's transaction (SQLite says nothing)
            time.sleep(0.5)
        assert not outcome
        timeliness.note_last_batch(batch, files.PROVIDER, files.PENALTY, "C-meanwhile", datetime.datetime.now(
            datetime.UTC), 1, 0)
        batch.commit()
    thread.join(30)
    assert outcome == ["credit.sent_meanwhile"]
    with ready.begin() as conn:
        (line,), _ = timeliness.timeliness(conn)
        assert (line.last_batch_id, line.retired) == ("C-meanwhile", None)
        assert timeliness.retirements(conn) == []
        timeliness.retire_provider(conn, files.PROVIDER, files.PENALTY, "机构改革", "发改委")  # asked again: retired
        assert timeliness.timeliness(conn)[0][0].retired_reason == "机构改革"


def test_timeliness_judges_the_last_batch_on_beijing_s_day(ready: Engine, tmp_path: Path):
    """A batch sent at 04:00 in Beijing (20:00 UTC the day before) was sent on Beijing's day: a daily item's
    provider is not silent the day after it."""
    ingest(ready, files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")]))
    sent = datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.UTC)
    with ready.begin() as conn:  # (the pair's last batch, as the report of today reads it, and of a past day)
        conn.execute(update(credit_tallies).values(last_batch_at=sent))
        conn.execute(update(credit_batches).values(finished_at=sent))
        report, _ = timeliness.timeliness(conn, datetime.date(2026, 12, 8))
    assert [(f"{t.last_batch:%Y-%m-%d %H:%M}", t.silent) for t in report] == [("2026-12-07 04:00", False)]


def test_timeliness_of_a_past_day_takes_the_batches_and_retirements_of_that_day(ready: Engine, tmp_path: Path):
    """A report as of a past day judges the last batch committed by that day's end in Beijing and the
    retirement in force then — never a batch or retirement made since; a pair that had sent nothing yet is
    not listed. Records and late ones are today's (the tallies keep no history), and the report says so."""
    def at(day: int, hour: int) -> datetime.datetime:
        return datetime.datetime(2026, 5, day, hour, 0, tzinfo=datetime.UTC)

    first = ingest(ready, files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1")]))
    second = ingest(ready, files.write_csv(tmp_path / "b.csv", [files.penalty(CODES[1], "罚2")]))
    with ready.begin() as conn:
        for batch, finished in ((first.batch, at(10, 2)), (second.batch, at(25, 20))):  # 25 May 20:00 UTC: the 26th
            conn.execute(update(credit_batches).where(credit_batches.c.id == batch).values(finished_at=finished))
        timeliness.retire_provider(conn, files.PROVIDER, files.PENALTY, "机构改革", "发改委", now=at(27, 3))
        timeliness.end_retirement(conn, files.PROVIDER, files.PENALTY, "运维", now=at(29, 1))
        timeliness.retire_provider(conn, files.PROVIDER, files.PENALTY, "再次改革", "发改委")  # in force now

    def report(day: datetime.date | None) -> tuple[list[tuple[object, ...]], set[str]]:
        with ready.connect() as conn:
            lines, nothing = timeliness.timeliness(conn, day)
        return ([(f"{t.last_batch:%m-%d}" if t.last_batch else None, t.last_batch_id, t.silent, t.retired_reason,
                  t.records, t.counts_as_of) for t in lines], {i["item"] for i in nothing})

    today = working_days.today()
    lines, unsent = report(datetime.date(2026, 5, 5))  # nothing sent yet: the item is one nobody sent
    assert lines == [] and files.PENALTY in unsent
    assert report(datetime.date(2026, 5, 20))[0] == [("05-10", first.batch, True, None, 2, today)]
    assert report(datetime.date(2026, 5, 26))[0] == [("05-26", second.batch, False, None, 2, today)]
    assert report(datetime.date(2026, 5, 28))[0] == [("05-26", second.batch, False, "机构改革", 2, today)]
    assert report(datetime.date(2026, 5, 29))[0] == [("05-26", second.batch, True, None, 2, today)]  # ended that day
    (now,), _ = report(None)
    assert now[1:] == (second.batch, False, "再次改革", 2, None)  # the default day: the tally's, as it is
    with ready.connect() as conn:
        (line,), _ = timeliness.timeliness(conn, datetime.date(2026, 5, 20))
    assert line.to_dict()["counts_as_of"] == today.isoformat()


def test_the_tallies_the_report_reads_agree_with_the_records_after_every_kind_of_write(ready: Engine,
                                                                                     tmp_path: Path):
    first = [files.penalty(CODES[0], "罚3", 处罚决定日期="2026-05-20"), files.penalty(CODES[1], "罚1"),
             files.penalty(CODES[2], "罚2", 处罚决定日期="2026-04-01")]
    ingest(ready, files.write_csv(tmp_path / "a.csv", first))
    ingest(ready, files.write_csv(tmp_path / "a.csv", first))  # the same file: nothing added
    again = [files.penalty(CODES[0], "罚3", 处罚决定日期="2026-05-20", 处罚内容="警告"),  # an update, late already
             files.penalty(CODES[3], "罚0", 处罚决定日期="2026-01-05"), files.penalty(CODES[1], "罚9")]
    ingest(ready, files.write_csv(tmp_path / "b.csv", again))
    ingest(ready, files.write_csv(tmp_path / "c.csv", first[:1]), provider="另一部门")
    with ready.begin() as conn:  # a withdrawal 12 days after its decision: late from now on
        corrections.correct_record(conn, files.PENALTY, files.PROVIDER, "罚1", {"处罚内容": "警告"}, "更正笔误",
                                   datetime.date(2026, 5, 20), protector=PROTECTOR, today=TODAY)
        corrections.revoke_record(conn, files.PENALTY, files.PROVIDER, "罚9", "撤销", TODAY, today=TODAY)  # late too
    with ready.connect() as conn:
        stored, counted = files.tallies(conn)
        report, _nothing = timeliness.timeliness(conn)
    assert stored == counted
    assert [(t.provider, t.records, t.late, t.late_examples) for t in report] == \
        [("另一部门", 1, 1, ("罚3",)), (files.PROVIDER, 5, 5, ("罚0", "罚1", "罚2", "罚3", "罚9"))]


def test_a_decision_from_before_the_calendars_years_is_late_when_it_is_late_whatever_the_holidays(
        ready: Engine, tmp_path: Path):
    """The calendar covers 2024-2026: a decision of 2022 sent in 2026 is late whatever the holidays of
    2022 were; one whose deadline falls in 2027 is not known to be, and is not counted late."""
    rows = [files.penalty(CODES[0], "罚1", 处罚决定日期="2022-03-01", 处罚有效期="2027-03-01"),
            files.penalty(CODES[1], "罚2", 处罚决定日期="2026-12-29", 处罚有效期="2027-03-01"),
            files.penalty(None, "罚3", 处罚决定日期="2026-12-30", 处罚有效期="2027-03-01")]  # (the general path)
    summary = ingest(ready, files.write_csv(tmp_path / "p.csv", rows), today=datetime.date(2026, 12, 31))
    assert (summary.created, summary.late, summary.undated) == (3, 1, 2)
    assert "The collection deadline of 2 record(s) could not be judged" in summary.message
    assert "no holiday notice for 2027" in summary.message
    with ready.connect() as conn:
        late = dict(conn.execute(text("SELECT document_number, late FROM credit_records")).all())
    assert late == {"罚1": 1, "罚2": 0, "罚3": 0}




def test_a_provider_whose_last_batch_was_rejected_whole_is_flagged_and_its_silence_counts_from_the_last_recorded(
        ready: Engine, tmp_path: Path):
    """A batch whose every row was rejected recorded nothing: the report flags it (rows, rejected), and silence
    counts from the last batch that recorded something — a provider that never had a row recorded is silent."""
    bad = files.write_csv(tmp_path / "bad.csv", [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-02-30")])
    assert ingest(ready, bad).rejected == 1
    with ready.connect() as conn:
        [only], _ = timeliness.timeliness(conn)
    assert (only.records, only.last_batch_rows, only.last_batch_rejected) == (0, 1, 1)
    assert only.last_batch_all_rejected and only.silent and only.last_recorded is None
    assert only.to_dict()["last_batch_all_rejected"] is True and only.to_dict()["last_batch_rejected"] == 1
    good = files.write_csv(tmp_path / "good.csv", [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-05-28")])
    assert ingest(ready, good).created == 1
    with ready.connect() as conn:
        [sent], _ = timeliness.timeliness(conn)
    assert not sent.last_batch_all_rejected and not sent.silent and sent.last_recorded == sent.last_batch
    ingest(ready, files.write_csv(tmp_path / "bad2.csv", [files.penalty(CODES[1], "罚2", 处罚决定日期="2026-02-31")]))
    with ready.connect() as conn:
        [again], _ = timeliness.timeliness(conn)  # rejected whole, but within the period of the last recorded
        later, _ = timeliness.timeliness(conn, working_days.today() + datetime.timedelta(days=2))
    assert again.last_batch_all_rejected and not again.silent and again.last_recorded == sent.last_batch
    assert again.last_batch != sent.last_batch and later[0].silent  # 每日: nothing recorded for 2 days
