"""``jjjcredit db`` and ``jjjcredit library`` through the real command."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from jjjcredit.core.codes import ric
from tests.cli import command
from tests.services.library import library_files as files


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = command.run_text(list(args), timeout=300, env={**os.environ, **(env or {})})
    assert "Traceback" not in result.stderr and "error [internal]" not in result.stderr, result.stderr
    return result


def test_rejects_as_csv_never_hold_a_formula(database_url: str, tmp_path: Path):
    """A department's value a spreadsheet would run (=HYPERLINK(…), -1+1) is written as text (core/cells.py)."""
    run("db", "upgrade", "--db", database_url)
    path = files.write(tmp_path / "a.csv", [["91130102MA00000000", '=HYPERLINK("http://x.example","点此")', "存续",
                                             "2024-02-30", "-1+1"]], files.HEADER)
    summary = json.loads(run("library", "ingest", str(path), "--source", "hebei/market-regulation",
                             "--db", database_url).stdout)
    rejects = run("library", "rejects", summary["batch"], "--format", "csv", "--db", database_url)
    [line] = list(csv.reader(io.StringIO(rejects.stdout.lstrip("\ufeff"), newline="")))[1:]
    assert '\'=HYPERLINK("http://x.example","点此")' in line and "'-1+1" in line
    assert not any(cell[:1] in "=+-@\t\r" for cell in line)


def test_db_status_upgrade_and_a_refused_empty_database(database_url: str, tmp_path: Path):
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()  # (an empty file: an empty database)
    behind = run("db", "status", "--db", database_url)
    assert behind.returncode == 1 and "jjjcredit db upgrade" in behind.stderr
    path = files.organizations(tmp_path / "a.csv", files.codes(3))
    refused = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url)
    assert refused.returncode == 2 and "[db.schema_behind]" in refused.stderr
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    assert run("db", "status", "--db", database_url).returncode == 0
    unknown = run("library", "quality", "--source", "foo/bar", "--db", database_url)
    assert unknown.returncode == 2 and "[crosswalk.source]" in unknown.stderr


def test_ingest_show_rejects_with_personal_data_masked(database_url: str, tmp_path: Path):
    run("db", "upgrade", "--db", database_url)
    body = "13010219800101123"
    number = body + ric.calc_check_char(body)
    code = files.codes(1)[0]
    path = files.write(tmp_path / "a.csv", [
        [code, "好公司", "存续", "2024-01-01", "张三", number],
        ["91130102MA00000000", "坏公司", "存续", "2024-02-30", "李四", number],
    ], [*files.HEADER, "法定代表人或负责人证件号码"])
    ingest = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url)
    assert ingest.returncode == 1, ingest.stderr  # one row was rejected
    summary = json.loads(ingest.stdout)
    assert (summary["rows"], summary["created"], summary["rejected"]) == (2, 1, 1)
    shown = run("library", "show", code, "--db", database_url)
    assert shown.returncode == 0 and number not in shown.stdout
    assert json.loads(shown.stdout)["organization"]["legal_rep_id_number"] == ric.mask(number)
    rejects = run("library", "rejects", summary["batch"], "--format", "csv", "--db", database_url)
    assert rejects.returncode == 0 and "坏公司" in rejects.stdout and number not in rejects.stdout
    # One line per rejected row, every problem of it in that line.
    lines = list(csv.DictReader(io.StringIO(rejects.stdout.lstrip("\ufeff"), newline="")))
    assert len(lines) == 1 and lines[0]["row"] == "3"
    assert "record.date" in lines[0]["codes"].split() and "uscc." in lines[0]["codes"]
    assert "最后更新日期" in lines[0]["problems"] and "统一社会信用代码" in lines[0]["problems"]
    again = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url,
                "--batch-id", summary["batch"])
    assert "nothing changed" in again.stderr
    other = files.organizations(tmp_path / "b.csv", files.codes(1, seed=9))
    reused = run("library", "ingest", str(other), "--source", "hebei/market-regulation", "--db", database_url,
                 "--batch-id", summary["batch"])
    assert reused.returncode == 2 and "[library.batch_id_reused]" in reused.stderr
    assert run("library", "show", "91350100M000100Y43", "--db", database_url).returncode == 1


def test_an_unusable_database_is_one_clear_line(tmp_path: Path):
    not_a_db = tmp_path / "x.csv"
    not_a_db.write_text("a,b\n1,2\n" * 100, encoding="utf-8")
    for url in (f"sqlite:///{not_a_db}", "foo://bar", "postgresql://postgres@127.0.0.1:1/none"):
        result = run("db", "status", "--db", url)
        assert result.returncode == 2, (url, result.stderr)
        assert "[db.unavailable]" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_sending_the_identical_file_again_says_nothing_changed_and_exits_0(database_url: str, tmp_path: Path):
    run("db", "upgrade", "--db", database_url)
    code = files.codes(1)[0]
    path = files.write(tmp_path / "a.csv", [[code, "好公司", "存续", "2024-01-01", "张三"],
                                            ["91130102MA00000000", "坏公司", "存续", "2024-01-01", "李四"]])
    args = ("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url)
    first = run(*args)
    assert first.returncode == 1, first.stderr  # the first time, one row was rejected
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stderr and "Traceback" not in again.stderr
    summary = json.loads(again.stdout)
    assert summary["already_ingested"] is True and "nothing changed" in summary["note"]
    assert summary["batch"] == json.loads(first.stdout)["batch"]
    assert (summary["created"], summary["updated"], summary["conflicts"]) == (0, 0, 0)
    assert f"library rejects {summary['batch']}" in summary["note"]
    stats = json.loads(run("library", "stats", "--db", database_url).stdout)
    assert len(stats["recent_batches"]) == 1

# A JSON Lines line each command must reject alone (row 2 of three), the code both give, and settings.
BAD_LINES = {
    "lone surrogate in a value": ('{{"统一社会信用代码": "{code}", "机构名称": "\\ud800x", "状态": "存续"}}',
                                  "record.bad_characters", {}),
    "NUL in a value": ('{{"统一社会信用代码": "{code}", "机构名称": "a\\u0000b", "状态": "存续"}}',
                       "record.bad_characters", {}),
    "lone surrogate in a field name": ('{{"统一社会信用代码": "{code}", "\\udc00": "x", "状态": "存续"}}',
                                       "record.bad_characters", {}),
    "nested 3,000 deep": ('{{"统一社会信用代码": "{code}", "机构名称": ' + "[" * 3000 + "]" * 3000 + "}}",
                          "record.too_deep", {}),
    "nested 3,000 deep within a raised limit": (
        '{{"统一社会信用代码": "{code}", "机构名称": ' + "[" * 3000 + "]" * 3000 + "}}", "record.too_deep",
        {"JJJCREDIT_LIMIT_JSON_DEPTH": "5000"}),
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_a_json_line_no_text_can_hold_is_one_rejected_row_in_check_and_ingest(database_url: str, tmp_path: Path,
                                                                             case: str):
    line, code, env = BAD_LINES[case]
    first, bad, last = files.codes(3, seed=7)
    path = tmp_path / "a.jsonl"
    good = [json.dumps({"统一社会信用代码": c, "机构名称": f"石家庄{n}机械制造有限公司", "状态": "存续"},
                       ensure_ascii=False) for c, n in ((first, "甲"), (last, "丙"))]
    path.write_text("\n".join([good[0], line.format(code=bad), good[1]]) + "\n", "utf-8")
    check = run("records", "check", str(path), "--source", "hebei/market-regulation", env=env)
    assert check.returncode == 1, check.stderr
    assert [(p["row"], p["code"]) for p in map(json.loads, check.stdout.splitlines())] == [(2, code)]
    assert "3 rows read: 2 valid, 0 with warnings, 1 rejected" in check.stderr
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    ingest = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url, env=env)
    assert ingest.returncode == 1, ingest.stderr
    summary = json.loads(ingest.stdout)
    assert (summary["rows"], summary["created"], summary["rejected"]) == (3, 2, 1)
    (reject,) = json.loads(run("library", "rejects", summary["batch"], "--db", database_url).stdout)
    assert reject["row"] == 2 and [p["code"] for p in reject["problems"]] == [code]
    for problem in (json.loads(check.stdout), *reject["problems"]):  # the value itself is never shown back
        assert problem["value"] == "" and not re.search("[\x00\ud800-\udfff]", json.dumps(problem, ensure_ascii=False))


def test_a_nul_byte_past_the_first_block_of_a_csv_rejects_its_row_in_check_and_ingest(database_url: str,
                                                                                      tmp_path: Path):
    """The file's first block is judged for being text; a NUL further on is one rejected row (PostgreSQL
    holds no NUL in text: it used to end the whole batch)."""
    many = files.codes(3000, seed=5)
    rows = [[c, f"石家庄某某{i}机械制造有限公司", "存续", "2024-01-01", "张三"] for i, c in enumerate(many)]
    rows[2500][1] = "石家庄\x00某某机械制造有限公司"
    path = files.write(tmp_path / "a.csv", rows)
    assert b"\x00" not in path.read_bytes()[:65536]
    check = run("records", "check", str(path), "--source", "hebei/market-regulation")
    assert check.returncode == 1, check.stderr
    (problem,) = map(json.loads, check.stdout.splitlines())
    assert (problem["row"], problem["code"], problem["value"]) == (2502, "record.bad_characters", "")
    assert 'Field "机构名称" holds a NUL character' in problem["message"]
    assert "3,000 rows read: 2,999 valid, 0 with warnings, 1 rejected" in check.stderr
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    ingest = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url)
    assert ingest.returncode == 1, ingest.stderr
    summary = json.loads(ingest.stdout)
    assert (summary["rows"], summary["created"], summary["rejected"]) == (3000, 2999, 1)
    (reject,) = json.loads(run("library", "rejects", summary["batch"], "--db", database_url).stdout)
    assert reject["row"] == 2502 and [p["code"] for p in reject["problems"]] == ["record.bad_characters"]
