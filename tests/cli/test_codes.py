"""``jjjcredit codes`` through the real command, on real files."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from jjjcredit.core.codes import ric
from tests.cli import command

GOOD = "91350100M000100Y43"
PILOT = "91350211M0000XUF46"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    result = command.run(list(args), stdin=stdin, env={**os.environ, "PYTHONWARNINGS": "error"}, timeout=120)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8-sig"), result.stderr.decode("utf-8"))


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_check_a_text_file(tmp_path: Path):
    path = tmp_path / "codes.txt"
    path.write_text(f"{GOOD}\n\n 9135-0100m000100y43 \n{PILOT}\n9135O100M000100Y43\n", encoding="utf-8")
    result = run("codes", "check", str(path))
    assert result.returncode == 1
    out = rows(result.stdout)
    assert [r["verdict"] for r in out] == ["valid", "valid", "warning", "invalid"]
    assert out[1]["code"] == GOOD
    assert out[2]["error"] == "uscc.pilot_checksum"
    assert out[3]["error"] == "uscc.format" and out[3]["position"] == "5"
    assert out[3]["suggestions"].split()[0] == GOOD
    assert "4 codes checked: 2 valid, 1 with warnings, 1 invalid" in result.stderr
    assert "1 blank lines skipped" in result.stderr


def test_all_valid_exits_0_and_reads_stdin():
    result = run("codes", "check", "-", stdin=f"{GOOD}\n{PILOT}\n".encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "row,input,code,verdict,error,position,message,suggestions"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_csv_column_in_any_encoding(tmp_path: Path, encoding: str):
    path = tmp_path / "orgs.csv"
    path.write_text(f"机构名称,统一社会信用代码\n某某有限公司,{GOOD}\n某某合作社,{PILOT}\n", encoding=encoding)
    result = run("codes", "check", str(path), "--column", "统一社会信用代码")
    assert result.returncode == 0, result.stderr
    assert [r["code"] for r in rows(result.stdout)] == [GOOD, PILOT]


def test_xlsx_column(tmp_path: Path):
    path = tmp_path / "orgs.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名称", "代码"])
    sheet.append(["甲", GOOD])
    sheet.append(["乙", "91350100M000100Y44"])
    book.save(path)
    result = run("codes", "check", str(path), "--column", "2")
    assert result.returncode == 1
    assert [r["verdict"] for r in rows(result.stdout)] == ["valid", "invalid"]


def test_rows_are_numbered_as_the_file_shows_them(tmp_path: Path):
    text = tmp_path / "codes.txt"  # a text file: the line number, blank lines counted
    text.write_bytes(f"\ufeff{GOOD}\r\n\r\n  \r\n{PILOT}\r\n9135O100M000100Y43\r\n".encode())
    assert [r["row"] for r in rows(run("codes", "check", str(text)).stdout)] == ["1", "4", "5"]
    many = tmp_path / "many.txt"  # numbering runs on across the batches a big file is read in
    many.write_text(f"{GOOD}\n" * 70_000 + "\n" + "x\n", encoding="utf-8")
    assert rows(run("codes", "check", str(many)).stdout)[-1]["row"] == "70002"
    table = tmp_path / "orgs.csv"  # a CSV column: the spreadsheet row, the header is row 1
    table.write_text(f"名称,代码\n甲,{GOOD}\n\n乙,\n丙,{PILOT}\n", encoding="utf-8")
    assert [r["row"] for r in rows(run("codes", "check", str(table), "--column", "代码").stdout)] == ["2", "5"]
    book = tmp_path / "orgs.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in (["名称", "代码"], ["甲", GOOD], [], ["丙", PILOT]):
        sheet.append(line)
    workbook.save(book)
    result = run("codes", "check", str(book), "--column", "2")
    assert [r["row"] for r in rows(result.stdout)] == ["2", "4"]
    assert result.stdout.splitlines()[0] == "row,input,code,verdict,error,position,message,suggestions"


def test_a_resident_identity_number_is_masked_in_the_report(tmp_path: Path):
    body = "13010219800101123"
    number = body + ric.calc_check_char(body)
    result = run("codes", "check", "-", stdin=f"{number}\n".encode())
    assert number not in result.stdout
    assert "resident identity number" in result.stdout


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "file.empty"),
        (b"\x00\x01\x02binary\x00junk" * 100, "file.binary"),
        ((GOOD + "\n").encode() * 5000 + "统一社会信用代码\n".encode("gb18030"), "file.encoding"),
        (b"\n\n\n", "file.no_codes"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(tmp_path: Path, content: bytes, code: str):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = run("codes", "check", str(path))
    assert result.returncode == 2, result.stderr
    assert f"[{code}]" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_10_mb_line_is_one_invalid_row_shown_cut_short(tmp_path: Path):
    path = tmp_path / "long.txt"
    path.write_text(GOOD + "\n" + "9" * 10_000_000 + "\n", encoding="utf-8")
    result = run("codes", "check", str(path))
    assert result.returncode == 1
    out = rows(result.stdout)
    assert out[1]["error"] == "uscc.length"
    assert len(out[1]["input"]) < 300 and "10,000,000 characters" in out[1]["input"]


def test_missing_column_lists_what_the_file_has(tmp_path: Path):
    path = tmp_path / "orgs.csv"
    path.write_text("名称,代码\n甲,x\n", encoding="utf-8")
    result = run("codes", "check", str(path), "--column", "统一社会信用代码")
    assert result.returncode == 2
    assert "[file.missing_column]" in result.stderr and '"名称", "代码"' in result.stderr


def test_truncated_xlsx(tmp_path: Path):
    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["代码"])
    book.save(good)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:300])
    result = run("codes", "check", str(bad), "--column", "代码")
    assert result.returncode == 2 and "[file.xlsx_damaged]" in result.stderr
    assert zipfile.is_zipfile(good)


def test_missing_file_and_xlsx_without_column(tmp_path: Path):
    assert "[file.not_found]" in run("codes", "check", str(tmp_path / "nope.txt")).stderr
    path = tmp_path / "a.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["代码"])
    book.save(path)
    result = run("codes", "check", str(path))
    assert result.returncode == 2 and "[file.xlsx_needs_column]" in result.stderr


def test_explain_in_both_languages():
    text = run("codes", "explain", GOOD)
    assert text.returncode == 0
    assert "工商" in text.stdout and "industry and commerce / market regulation" in text.stdout
    assert "福建省" in text.stdout and "passes" in text.stdout
    assert run("codes", "explain", "91350100M000100Y44").returncode == 1


def test_explain_says_not_checked_where_an_earlier_rule_failed():
    import json

    broken = run("codes", "explain", "9135O100M000100Y43")  # "O": the check character is never worked out
    assert broken.returncode == 1
    [line] = [x for x in broken.stdout.splitlines() if "check character" in x]
    assert "not checked" in line and "passes" not in line
    data = json.loads(run("codes", "explain", "9135O100M000100Y43", "--format", "json").stdout)
    assert data["parts"]["check_character"]["check_ok"] is None
    wrong_check = json.loads(run("codes", "explain", "91350100M000100Y44", "--format", "json").stdout)
    assert wrong_check["parts"]["check_character"]["check_ok"] is False


def test_encoding_error_names_the_line(tmp_path: Path):
    path = tmp_path / "mixed.txt"
    path.write_bytes((GOOD + "\n").encode() * 5000 + "统一社会信用代码\n".encode("gb18030"))
    assert "line 5001 " in run("codes", "check", str(path)).stderr


def test_explain_json_shows_region_history_and_suggestions():
    import json

    data = json.loads(run("codes", "explain", "9135O100M000100Y43", "--format", "json").stdout)
    assert data["verdict"] == "invalid"
    assert data["suggestions"][0]["code"] == GOOD
    gaocheng = json.loads(run("codes", "explain", "91130182MA0000000X", "--format", "json").stdout)
    region = gaocheng["parts"]["region"]
    assert region["name"] == "藁城市" and region["exists_today"] is False


def test_generate_is_deterministic_and_valid():
    first = run("codes", "generate", "--count", "50", "--department", "9", "--category", "1",
                "--region", "130100", "--seed", "7")
    second = run("codes", "generate", "--count", "50", "--department", "9", "--category", "1",
                 "--region", "130100", "--seed", "7")
    assert first.stdout == second.stdout
    codes = first.stdout.split()
    assert len(set(codes)) == 50 and all(c.startswith("91130100") for c in codes)
    check = run("codes", "check", "-", stdin=first.stdout.encode())
    assert check.returncode == 0


def test_generate_refuses_a_category_outside_the_department():
    result = run("codes", "generate", "--department", "9", "--category", "9")
    assert result.returncode == 2 and "[usage.category]" in result.stderr


def test_a_setting_of_the_wrong_kind_is_one_line_naming_it(tmp_path: Path):
    (tmp_path / "codes.txt").write_text(f"{GOOD}\n", encoding="utf-8")
    result = command.run(["codes", "check", str(tmp_path / "codes.txt")],
                         env={**os.environ, "JJJCREDIT_LIMIT_CELL_CHARS": "lots"})
    assert result.returncode == 2
    assert result.stderr.decode() == ("error [settings.invalid]: JJJCREDIT_LIMIT_CELL_CHARS must be a whole number "
                                      "of at least 1, not 'lots'.\n")
