"""``jjjcredit credit`` through the real command, on a real database: ingest and its exit codes, the
rejects, a subject's records, correction, revocation and timeliness."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text, update

from jjjcredit.core.credit import working_days
from jjjcredit.services import db
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import credit_batches
from tests.cli.command import run_text
from tests.cli.test_codes import run
from tests.services.credit import credit_files as files

CODES = files.codes(2)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JJJCREDIT_SIGNING_KEY_SECRET", "test-operator-secret")  # the commands inherit it


@pytest.fixture
def url(database_url: str) -> str:
    engine = make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        files.publish(conn, 2026)
    engine.dispose()
    return database_url


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run("credit", *args, stdin=stdin.encode() if stdin else None)


def test_ingest_show_correct_revoke_and_timeliness(url: str, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1"), files.penalty(None, "罚2"),
                                                files.penalty(CODES[1], "罚3", 处罚类别="罚金")])
    first = _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url)
    assert first.returncode == 1, first.stderr  # a row was rejected
    summary = json.loads(first.stdout)
    assert (summary["rows"], summary["created"], summary["rejected"]) == (3, 2, 1)
    assert files.person() not in first.stdout + first.stderr
    again = _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url)
    assert again.returncode == 1 and "Nothing changed" in again.stderr  # the bad row is still bad
    rejects = _run("rejects", summary["batch"], "--db", url)
    rows = list(csv.reader(io.StringIO(rejects.stdout)))
    assert rows[0] == ["row", "field", "code", "message", "value"] and rows[1][:3] == ["4", "处罚类别", "record.value"]
    whole = list(csv.reader(io.StringIO(_run("rejects", summary["batch"], "--values", "--db", url).stdout)))
    assert whole[0][-1] == "values" and json.loads(whole[1][-1])["处罚类别"] == "罚金"  # the row, to find it
    shown = json.loads(_run("show", CODES[0], "--db", url).stdout)
    assert shown["items"][0]["records"][0]["document_number"] == "罚1"
    public = json.loads(_run("show", CODES[0], "--public", "--db", url).stdout)["items"][0]["records"][0]
    assert public["values"]["失信严重程度"] == "一般"  # as people read it, as the row sent it
    person = _run("show", "-", "--db", url, stdin=files.person() + "\n")
    assert json.loads(person.stdout)["records"] == 1 and files.person() not in person.stdout
    opened = _run("show", "-", "--level", "3", "--db", url, stdin=files.person() + "\n")
    assert files.person() in opened.stdout  # an application party at the top level reads it
    corrected = _run("correct", "--item", files.PENALTY, "--provider", files.PROVIDER, "--document", "罚1",
                     "--set", "处罚内容=警告", "--reason", "更正笔误", "--db", url)
    assert corrected.returncode == 0, corrected.stderr
    assert json.loads(corrected.stdout)["version"] == 2
    revoked = _run("revoke", "--item", files.PENALTY, "--provider", files.PROVIDER, "--document", "罚1",
                   "--reason", "复议撤销", "--db", url)
    assert json.loads(revoked.stdout)["status"] == "revoked"
    twice = _run("revoke", "--item", files.PENALTY, "--provider", files.PROVIDER, "--document", "罚1",
                 "--reason", "x", "--db", url)
    assert twice.returncode == 1 and "[credit.revoked]" in twice.stderr
    report = json.loads(_run("timeliness", "--format", "json", "--db", url).stdout)
    assert report["providers"][0]["provider"] == files.PROVIDER and report["providers"][0]["records"] == 2
    table = _run("timeliness", "--db", url)
    assert table.returncode == 0 and files.PROVIDER in table.stdout and "nothing received" in table.stdout
    unknown = _run("retire-provider", "--item", files.LICENCE, "--provider", files.PROVIDER, "--reason", "机构改革",
                   "--by", "发改委", "--db", url)
    assert unknown.returncode == 2 and "[credit.unknown_pair]" in unknown.stderr
    retired = _run("retire-provider", "--item", files.PENALTY, "--provider", files.PROVIDER, "--reason", "机构改革",
                   "--by", "发改委", "--db", url)
    assert retired.returncode == 0 and json.loads(retired.stdout)["reason"] == "机构改革"
    later = _run("timeliness", "--today", "2099-01-01", "--db", url)
    assert "RETIRED since" in later.stdout and "by 发改委 (机构改革)" in later.stdout and "SILENT" not in later.stdout
    assert "every provider retired" in later.stdout
    ended = _run("retire-provider", "--item", files.PENALTY, "--provider", files.PROVIDER, "--end", "--by", "运维",
                 "--db", url)
    assert ended.returncode == 0 and json.loads(ended.stdout)["by"] == "运维"
    kept = [json.loads(line) for line in _run("retirements", "--db", url).stdout.splitlines()]
    assert [(k["reason"], k["ended_by"]) for k in kept] == [("机构改革", "运维")]


def test_the_days_a_command_takes_by_default_are_beijing_s_whatever_the_machine_s_zone(url: str, tmp_path: Path):
    """A record decided today in Beijing is revoked without ``--decided`` on a machine whose clock is set
    twelve hours behind UTC (where the local day is the day before Beijing's for 20 hours of 24)."""
    today = working_days.today().isoformat()
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1", 处罚决定日期=today)])
    assert _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url).returncode == 0
    elsewhere = {**os.environ, "TZ": "Etc/GMT+12"}
    revoked = run_text(["credit", "revoke", "--item", files.PENALTY, "--provider", files.PROVIDER, "--document", "罚1",
                        "--reason", "复议撤销", "--db", url], env=elsewhere)
    assert revoked.returncode == 0, revoked.stderr
    report = run_text(["credit", "timeliness", "--format", "json", "--db", url], env=elsewhere)
    assert json.loads(report.stdout)["as_of"] == working_days.today().isoformat()


def test_timeliness_of_a_past_day_says_its_counts_are_today_s(url: str, tmp_path: Path):
    """``--today`` a past day: the last batch of that day (not one sent since), and a clear word, in the
    JSON and on stderr, that records and late ones are counted today."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    assert _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url).returncode == 0
    engine = make_engine(url)
    with engine.begin() as conn:  # the batch was sent on 10 May (Beijing)
        conn.execute(update(credit_batches).values(finished_at=datetime.datetime(2026, 5, 10, 2, tzinfo=datetime.UTC)))
    engine.dispose()
    today = working_days.today().isoformat()
    then = _run("timeliness", "--today", "2026-05-20", "--format", "json", "--db", url)
    report = json.loads(then.stdout)
    assert (report["as_of"], report["counts_as_of"]) == ("2026-05-20", today)
    assert [(p["last_batch"][:10], p["silent"], p["records"], p["counts_as_of"]) for p in report["providers"]] == \
        [("2026-05-10", True, 1, today)]
    assert f"counted as of {today} (today), not 2026-05-20" in then.stderr
    table = _run("timeliness", "--today", "2026-05-09", "--db", url)
    assert table.returncode == 0 and files.PROVIDER not in table.stdout and "counted as of" not in table.stderr
    now = json.loads(_run("timeliness", "--format", "json", "--db", url).stdout)
    assert now["counts_as_of"] == now["as_of"] == today and now["providers"][0]["counts_as_of"] is None


def test_an_identity_number_is_never_taken_from_the_command_line(url: str):
    """As the documentation says, a natural person is asked for through standard input (``-``), never as
    an argument: the shell's history and ``ps`` would keep the number."""
    typed = _run("show", files.person(), "--db", url)
    assert typed.returncode == 2 and "[usage]" in typed.stderr and files.person() not in typed.stderr
    for command in (("subjects", "queries", files.person()), ("subjects", "code", files.person())):
        refused = run(*command, "--db", url)
        assert refused.returncode == 2 and "[usage]" in refused.stderr, (command, refused.stderr)
    assert _run("show", "-", "--db", url, stdin=files.person() + "\n").returncode == 0


def test_an_error_does_not_repeat_a_personal_number_typed_in(url: str, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    item = _run("ingest", str(path), "--item", files.person(), "--provider", files.PROVIDER, "--db", url)
    day = _run("show", CODES[0], "--as-of", files.person(), "--db", url)
    assert (item.returncode, day.returncode) == (2, 2) and "[usage.date]" in day.stderr, item.stderr
    assert files.person() not in item.stderr + day.stderr and files.person()[-4:] in item.stderr + day.stderr


def test_a_refused_correction_exits_with_credit_correction_naming_the_row_s_problems(url: str, tmp_path: Path):
    """The documented code for a correction that fails its item's checks, whatever the row's own problem."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    assert _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url).returncode == 0
    refused = _run("correct", "--item", files.PENALTY, "--provider", files.PROVIDER, "--document", "罚1",
                   "--set", "处罚决定日期=2026-13-01", "--reason", "更正", "--db", url)
    assert refused.returncode == 1 and "error [credit.correction]" in refused.stderr, refused.stderr
    assert "[record.date] 处罚决定日期" in refused.stderr and "error [record.date]" not in refused.stderr


def test_a_file_that_does_not_fit_the_item_is_refused_with_exit_2(url: str, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    wrong = _run("ingest", str(path), "--item", files.LICENCE, "--provider", files.PROVIDER, "--db", url)
    assert wrong.returncode == 2 and "[credit.layout]" in wrong.stderr
    bad_date = _run("timeliness", "--today", "2026-02-30", "--db", url)
    assert bad_date.returncode == 2 and "[usage.date]" in bad_date.stderr


def test_show_as_of_a_day_as_the_public_or_an_application_party_sees_it(url: str, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [
        files.penalty(CODES[0], "罚1", 处罚决定日期="2026-04-10", 失信严重程度="严重"),
        files.penalty(None, "罚2", 处罚决定日期="2026-04-10", 失信严重程度="严重")])
    assert _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url).returncode == 0

    def show(*args: str, stdin: str | None = None) -> dict:
        done = _run("show", *args, "--db", url, stdin=stdin)
        assert done.returncode == 0, done.stderr
        assert files.person() not in done.stdout + done.stderr
        return json.loads(done.stdout)

    last = show(CODES[0], "--public", "--as-of", "2029-04-10")
    record = last["items"][0]["records"][0]
    assert (last["as_of"], record["channel"], record["public_until"]) == \
        ("2029-04-10", "public_disclosure", "2029-04-10")
    assert show(CODES[0], "--public", "--as-of", "2029-04-11")["records"] == 0
    assert show(CODES[0], "--level", "1", "--as-of", "2029-04-11")["records"] == 0
    shared = show(CODES[0], "--level", "2", "--as-of", "2029-04-11")["items"][0]["records"][0]
    assert (shared["channel"], shared["public"]) == ("government_sharing", False)
    assert show(CODES[0], "--as-of", "2026-04-09")["records"] == 0  # not decided yet, even for the staff
    person = show("-", "--public", stdin=files.person() + "\n")
    assert person["records"] == 0 and person["subject"] is None
    assert show("-", stdin=files.person() + "\n")["items"][0]["records"][0]["channel"] == "staff"
    bad = _run("show", CODES[0], "--as-of", "2026-02-30", "--db", url)
    assert bad.returncode == 2 and "[usage.date]" in bad.stderr and "YYYY-MM-DD" in bad.stderr
    both = _run("show", CODES[0], "--public", "--level", "2", "--db", url)
    assert both.returncode == 2 and "--public" in both.stderr


def test_rekey_persons_lists_then_files_a_person_s_record_under_the_person_and_finds_nothing_after(
        url: str, tmp_path: Path):
    """A natural person's record kept under an organization's code (planted as rows that named both were
    filed before they were refused): listed by a dry run that changes nothing, moved by --apply with an
    entry in the audit trail, found no more by a second run; one without a sealed number left, exit 1."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(None, "罚1"),
                                                files.penalty(None, "罚2", 证件号码=files.person(456))])
    assert _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url).returncode == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        files.file_under_code(conn, "罚1", CODES[0])
    numbers = (files.person(), files.person(456))

    def rekey(*args: str) -> tuple[int, dict, str]:
        done = _run("rekey-persons", *args, "--db", url)
        assert not any(n in done.stdout + done.stderr or n[6:14] in done.stdout for n in numbers)
        return done.returncode, json.loads(done.stdout), done.stderr

    code, listed, said = rekey()
    assert (code, listed["applied"], listed["found"], listed["moved"], listed["left"]) == (0, False, 1, 0, 0)
    record = listed["records"][0]
    assert (record["document_number"], record["kept_under"], record["versions"], record["moved"]) == \
        ("罚1", CODES[0], 1, False)
    assert record["person_key"].startswith("P:") and "--apply" in said
    assert json.loads(_run("show", "-", "--db", url, stdin=files.person() + "\n").stdout)["records"] == 0
    code, applied, _ = rekey("--apply")
    assert (code, applied["moved"], applied["records"][0]["versions"]) == (0, 1, 2)
    person = json.loads(_run("show", "-", "--db", url, stdin=files.person() + "\n").stdout)
    assert person["subject"] == record["person_key"] and person["items"][0]["records"][0]["version"] == 2
    assert rekey("--apply")[:2] == (0, {"applied": True, "found": 0, "moved": 0, "left": 0, "records": []})
    with engine.begin() as conn:
        files.file_under_code(conn, "罚2", CODES[1])
        conn.execute(text("UPDATE credit_records SET sealed = NULL WHERE document_number = '罚2'"))
        logged = conn.execute(text("SELECT count(*) FROM audit WHERE path = 'jjjcredit credit rekey-persons'")
                              ).scalar_one()
    engine.dispose()
    assert logged == 1
    code, left, _ = rekey("--apply")
    assert (code, left["moved"], left["left"], left["records"][0]["left"]) == (1, 0, 1, "credit.no_sealed_number")


def test_an_unknown_batch_and_a_mistyped_code_are_said_so(url: str):
    unknown = _run("rejects", "NOPE", "--db", url)
    assert unknown.returncode == 1 and "[credit.no_batch]" in unknown.stderr and unknown.stdout == ""
    mistyped = CODES[0][:-1] + ("0" if CODES[0][-1] != "0" else "1")
    shown = _run("show", mistyped, "--db", url)
    assert shown.returncode == 1 and shown.stdout == ""
    assert f"[credit.subject_code]: \"{mistyped}\" is not a valid unified social credit code" in shown.stderr


#: What a clerk may type for a subject that is none, each as the command and its error line show it.
NOT_SUBJECTS = {"130102198503151230": "130102********1230",  # an identity number with a wrong check character
                "13812345678": "138****5678", "hello": "HELLO"}


def test_a_subject_that_is_none_is_refused_masked_and_recorded_nowhere(url: str):
    """As GET /api/v1/subjects/{code}/records refuses it: credit.subject_code, exit 1, nothing on stdout, the
    value masked, and no entry in the audit trail (from the command line or standard input alike)."""
    for typed, masked in NOT_SUBJECTS.items():
        for args, stdin in (((typed,), None), (("-",), typed + "\n")):
            shown = _run("show", *args, "--db", url, stdin=stdin)
            assert (shown.returncode, shown.stdout) == (1, ""), shown.stderr
            assert f'[credit.subject_code]: "{masked}" is not a valid' in shown.stderr
            assert typed not in shown.stderr or typed == masked.lower()
    engine = make_engine(url)
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT count(*) FROM audit WHERE path = 'jjjcredit credit show'")).scalar_one()
    engine.dispose()
    assert logged == 0


def test_a_connection_lost_during_an_ingest_is_said_so_and_nothing_is_kept(url: str, tmp_path: Path):
    """The database's server drops the command's connection mid-batch (a restart, an administrator): the
    command says the connection was lost and nothing of the batch was kept — not to check the URL it
    used a moment ago — and the same file again is taken whole."""
    if url.startswith("sqlite"):
        pytest.skip("SQLite has no server to drop a connection")
    codes = files.codes(50, seed=8)
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(codes[i % 50], f"罚{i}") for i in range(40_000)])
    command = [sys.executable, "-m", "jjjcredit", "credit", "ingest", str(path), "--item", files.PENALTY,
               "--provider", files.PROVIDER, "--db", url]
    ingest = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    engine = make_engine(url)
    try:
        deadline, dropped = time.monotonic() + 60, 0
        with engine.connect() as conn:
            while not dropped and ingest.poll() is None and time.monotonic() < deadline:
                dropped = conn.execute(text(  # (once the batch is open: its row written, not committed)
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar_one()
                conn.commit()  # (the activity view is read once a transaction)
                time.sleep(0.05)
        _out, err = ingest.communicate(timeout=120)
        assert dropped, f"the ingest ended before its connection could be dropped: {ingest.returncode} {err[-300:]}"
        assert ingest.returncode == 2 and "[db.unavailable]" in err and "was lost during the command" in err, err
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM credit_records")).scalar_one() == 0
            assert conn.execute(text("SELECT count(*) FROM credit_batches")).scalar_one() == 0
    finally:
        engine.dispose()
        if ingest.poll() is None:
            ingest.kill()
    assert _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url).returncode == 0


def test_timeliness_shows_a_last_batch_rejected_whole_and_calls_its_provider_silent(url: str, tmp_path: Path):
    """A provider whose only batch had every row rejected recorded nothing: the table flags ALL REJECTED with
    the rows, and SILENT, and its legend says why; the JSON carries the rows, the rejected and the flag."""
    path = files.write_csv(tmp_path / "bad.csv", [files.penalty(CODES[0], f"罚{n}", 处罚决定日期="2026-02-30")
                                                  for n in range(3)])
    sent = _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url)
    assert sent.returncode == 1 and json.loads(sent.stdout)["rejected"] == 3, sent.stderr
    table = _run("timeliness", "--db", url)
    assert "ALL REJECTED (3 of 3 rows of the last batch; last recorded never)" in table.stdout
    assert "SILENT" in table.stdout and "rejected is no update" in " ".join(table.stderr.split())
    [line] = json.loads(_run("timeliness", "--format", "json", "--db", url).stdout)["providers"]
    assert (line["records"], line["last_batch_rows"], line["last_batch_rejected"], line["last_batch_all_rejected"],
            line["last_recorded"], line["silent"]) == (0, 3, 3, True, None, True)


def test_an_item_code_with_a_control_character_is_refused_shown_escaped(url: str, tmp_path: Path):
    """A control character in --item (one a terminal would act on, or that shows nothing) is refused by the
    item's code, escaped, so the code does not read as one of the items the message lists."""
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    for args in (("ingest", str(path)), ("revoke", "--document", "罚1", "--reason", "r")):
        refused = _run(*args, "--item", "JJJ-03\x1b-001", "--provider", files.PROVIDER, "--db", url)
        assert refused.returncode == 2 and refused.stderr.startswith("error [credit.unknown_item]: "), refused.stderr
        assert '"JJJ-03\\u001b-001" (a directory code is' in refused.stderr and "\x1b" not in refused.stderr


def test_ingest_refuses_a_missing_columns_file_as_a_missing_file(url: str, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "罚1")])
    missing = tmp_path / "nosuch.yaml"
    sent = _run("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--columns",
                str(missing), "--db", url)
    assert sent.returncode == 2 and "error [file.not_found]" in sent.stderr and str(missing) in sent.stderr
    assert "credit.layout" not in sent.stderr and "Errno" not in sent.stderr


def test_ingest_says_which_columns_it_did_not_read_and_what_a_file_sent_again_left_as_corrected(
        url: str, tmp_path: Path):
    """On standard error, beside the summary: the columns not read and how to map them; a file sent again after
    a correction, the correction left standing; a row for another subject, refused (exit 1), never naming it."""
    row = dict(files.penalty(CODES[0], "罚1"), 公示截至期="2027-05-19")
    path = files.write_csv(tmp_path / "p.csv", [row])
    ingest = ("ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER, "--db", url)
    first = _run(*ingest)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["ignored"] == ["公示截至期"]
    assert "“公示截至期” (公示截止期?)" in first.stderr and "was not read" in first.stderr
    assert "--columns" in first.stderr and "columns=" in first.stderr
    corrected = _run("correct", "--item", files.PENALTY, "--provider", files.PROVIDER, "--document", "罚1",
                     "--set", "处罚内容=警告", "--reason", "更正笔误", "--db", url)
    assert corrected.returncode == 0, corrected.stderr
    again = _run(*ingest)
    summary = json.loads(again.stdout)
    assert again.returncode == 0 and (summary["updated"], summary["unchanged"]) == (0, 1)
    assert f"this file was ingested as batch {json.loads(first.stdout)['batch']}" in again.stderr
    assert "1 record it holds was corrected since, and left as corrected" in again.stderr
    shown = json.loads(_run("show", CODES[0], "--db", url).stdout)["items"][0]["records"][0]
    assert (shown["version"], shown["values"]["处罚内容"]) == (2, "警告")
    other = _run("ingest", str(files.write_csv(tmp_path / "q.csv", [files.penalty(CODES[1], "罚1")])),
                 *ingest[2:])
    assert other.returncode == 1 and json.loads(other.stdout)["by_code"] == {"credit.other_subject": 1}
    assert CODES[0] not in other.stdout + other.stderr
