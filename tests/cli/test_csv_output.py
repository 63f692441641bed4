"""Every CSV the commands write opens in Excel on a Chinese Windows: UTF-8 with a byte order mark by
default, GB18030 with ``--csv-encoding gb18030`` (no character lost), through one helper."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from jjjcredit.core.codes import ric
from tests.cli import command
from tests.services.library import library_files as files

GOOD = "91350100M000100Y43"
RARE = "𠀀鿕"  # outside the BMP and late CJK: GB18030's four-byte sequences


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    result = command.run(list(args), env={**os.environ, "PYTHONWARNINGS": "error", **(env or {})}, timeout=300)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def table(data: bytes, encoding: str) -> list[list[str]]:
    if encoding == "utf-8-sig":
        assert data.startswith(codecs.BOM_UTF8)
    else:
        assert not data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def both(args: list[str], **kw: object) -> tuple[list[list[str]], list[list[str]]]:
    """The rows written by default (UTF-8 with BOM) and with --csv-encoding gb18030: the same."""
    plain = run(*args, **kw)  # type: ignore[arg-type]
    gb = run(*args, "--csv-encoding", "gb18030", **kw)  # type: ignore[arg-type]
    first, second = table(plain.stdout, "utf-8-sig"), table(gb.stdout, "gb18030")
    assert first == second and first
    return first, second


def test_codes_check_writes_a_bom_by_default_and_gb18030_when_asked(tmp_path: Path):
    path = tmp_path / "codes.csv"
    path.write_text(f"名称,代码\n{RARE}公司,{GOOD}\n坏公司,9135O100M000100Y43\n", encoding="utf-8")
    rows, _ = both(["codes", "check", str(path), "--column", "代码"])
    assert len(rows) == 3 and any(RARE in cell for cell in rows[1]) is False


def test_records_check_csv_report(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(f"统一社会信用代码,企业名称,成立日期\n{GOOD},{RARE}有限公司,2019-02-30\n", encoding="utf-8")
    reports = []
    for encoding in ("utf-8-sig", "gb18030"):
        report = tmp_path / f"{encoding}.csv"
        result = run("records", "check", str(path), "--source", "hebei/market-regulation", "--report", str(report),
                     "--csv-encoding", encoding)
        assert result.returncode == 1, result.stderr.decode()
        reports.append(table(report.read_bytes(), encoding))
    assert reports[0] == reports[1] and reports[0][0][0] == "row"
    assert any(RARE in cell for row in reports[0] for cell in row) is False  # the name was valid
    assert reports[0][1][0] == "2"


def test_records_check_refuses_an_unknown_csv_encoding(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(f"统一社会信用代码,企业名称\n{GOOD},某公司\n", encoding="utf-8")
    result = run("records", "check", str(path), "--report", str(tmp_path / "r.csv"), "--csv-encoding", "latin-1")
    assert result.returncode == 2
    assert "[usage.csv_encoding]" in result.stderr.decode() and "expected utf-8-sig" in result.stderr.decode()
    assert not (tmp_path / "r.csv").exists()


def test_elements_list_csv():
    rows, _ = both(["elements", "list", "--format", "csv"])
    assert len(rows) == 33


def test_library_rejects_csv_with_rare_characters_and_masked_numbers(database_url: str, tmp_path: Path):
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    body = "13010219800101123"
    number = body + ric.calc_check_char(body)
    path = files.write(tmp_path / "a.csv", [
        ["91130102MA00000000", f"{RARE}坏公司", "存续", "2024-02-30", "李四", number],
    ], [*files.HEADER, "法定代表人或负责人证件号码"])
    ingest = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url)
    batch = json.loads(ingest.stdout)["batch"]
    rows, _ = both(["library", "rejects", batch, "--format", "csv", "--db", database_url])
    assert any(f"{RARE}坏公司" in row for row in rows)
    assert all(number not in cell for row in rows for cell in row)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_the_setting_chooses_the_default(tmp_path: Path, encoding: str):
    path = tmp_path / "codes.txt"
    path.write_text(f"{GOOD}\n", encoding="utf-8")
    result = run("codes", "check", str(path), env={"JJJCREDIT_CSV_ENCODING": encoding})
    rows = table(result.stdout, encoding)
    assert rows[1][rows[0].index("code")] == GOOD


def test_an_unknown_encoding_is_named_where_it_was_given(tmp_path: Path):
    path = tmp_path / "codes.txt"
    path.write_text(f"{GOOD}\n", encoding="utf-8")
    setting = run("codes", "check", str(path), env={"JJJCREDIT_CSV_ENCODING": "latin-1"})
    assert setting.returncode == 2
    assert setting.stderr.decode().startswith('error [settings.invalid]: JJJCREDIT_CSV_ENCODING "latin-1" is not known')
    option = run("codes", "check", str(path), "--csv-encoding", "latin-1")
    assert option.returncode == 2
    assert option.stderr.decode().startswith('error [usage.csv_encoding]: --csv-encoding "latin-1" is not known')
