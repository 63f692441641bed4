"""``jjjcredit records``: the real command, run as a subprocess on real files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli import command
from tests.services.record_files import code, write_csv, write_xlsx

HEADER = ["统一社会信用代码", "企业名称", "成立日期", "注册资本(万元)", "登记状态"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = command.run_text(list(args), env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def clean_rows(n: int = 3) -> list[list[str]]:
    return [[code(i), f"河北{i}号有限公司", "2019-03-05", "100", "存续"] for i in range(n)]


def test_a_clean_file_exits_0_with_a_summary(tmp_path: Path):
    path = write_csv(tmp_path / "hebei.csv", HEADER, clean_rows(), "gb18030")
    result = run("records", "check", str(path), "--source", "hebei/market-regulation")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "3 rows read: 3 valid, 0 with warnings, 0 rejected" in result.stderr
    assert "gb18030" in result.stderr and "hebei/market-regulation" in result.stderr


def test_problems_go_to_stdout_as_json_lines_and_exit_1(tmp_path: Path):
    rows = [*clean_rows(2), [code(9)[:-1], "", "2019-02-30", "x", "活着"]]
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    result = run("records", "check", str(path), "--source", "hebei/market-regulation")
    assert result.returncode == 1
    problems = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["row"], p["field"], p["code"]) for p in problems] == [
        (4, "统一社会信用代码", "uscc.length"), (4, "企业名称", "record.required"), (4, "成立日期", "record.date"),
        (4, "注册资本(万元)", "record.amount"), (4, "登记状态", "record.value")]
    assert set(problems[0]) == {"row", "field", "code", "severity", "message", "value"}
    assert "3 rows read: 2 valid, 0 with warnings, 1 rejected" in result.stderr


def test_json_report_holds_every_problem_and_the_summary(tmp_path: Path):
    rows = [*clean_rows(4), clean_rows(1)[0], [code(20, region="110105"), "北京", "", "", ""]]
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    report = tmp_path / "report.json"
    result = run("records", "check", str(path), "--source", "hebei/market-regulation", "--report", str(report))
    assert result.returncode == 1 and result.stdout == ""
    data = json.loads(report.read_text("utf-8"))
    s = data["summary"]
    assert (s["rows"], s["valid"], s["warnings"], s["rejected"]) == (6, 4, 1, 1)
    assert s["rows"] == s["valid"] + s["warnings"] + s["rejected"]
    assert [(p["row"], p["code"]) for p in data["problems"]] == [(6, "record.duplicate"), (7, "record.source_region")]
    assert f"Problems: {report} (2)" in result.stderr


def test_csv_report_and_warnings_only(tmp_path: Path):
    rows = [*clean_rows(1), [code(5, region="120101"), "天津", "", "", ""]]
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    report = tmp_path / "report.csv"
    result = run("records", "check", str(path), "-s", "hebei/market-regulation", "-r", str(report))
    assert result.returncode == 0, "warnings alone do not fail the check"
    with report.open(encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["row", "field", "code", "severity", "message", "value"]
    assert [(r[0], r[2], r[3]) for r in lines[1:]] == [("3", "record.source_region", "warning")]
    strict = run("records", "check", str(path), "-s", "hebei/market-regulation", "--strict")
    assert strict.returncode == 1


@pytest.mark.parametrize(("args", "code_"), [
    (["--source", "hebei/tax"], "crosswalk.source"),
    (["--report", "out.txt"], "usage.report"),
    (["--report", "no/such/folder/out.json"], "usage.report"),
])
def test_usage_errors_exit_2(tmp_path: Path, args, code_):
    path = write_csv(tmp_path / "f.csv", HEADER, clean_rows())
    result = run("records", "check", str(path), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert f"error [{code_}]" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_column_is_refused_before_a_report_is_written(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", ["企业名称", "成立日期"], [["甲", "2019"]])
    report = tmp_path / "report.json"
    result = run("records", "check", str(path), "--source", "hebei/market-regulation", "--report", str(report))
    assert result.returncode == 2
    assert "error [file.missing_column]" in result.stderr and '"企业名称", "成立日期"' in result.stderr
    assert not report.exists()


@pytest.mark.parametrize(("content", "code_"), [
    (b"", "file.empty"),
    ("统一社会信用代码,机构名称\n".encode(), "file.no_rows"),
    ("统一社会信用代码,机构名称\n,\n\n".encode(), "file.no_rows"),
], ids=["empty", "headers-only", "headers-and-blank-rows"])
def test_empty_and_headers_only(tmp_path: Path, content, code_):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    result = run("records", "check", str(path))
    assert result.returncode == 2
    assert f"error [{code_}]" in result.stderr and str(path) in result.stderr


def test_truncated_xlsx_is_a_located_error(tmp_path: Path):
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, clean_rows(200))
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    result = run("records", "check", str(path), "--source", "hebei/market-regulation")
    assert result.returncode == 2
    assert "error [file.xlsx_damaged]" in result.stderr and "export it again" in result.stderr


def test_xlsx_file_is_checked(tmp_path: Path):
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(1), "甲", "2019-03-05", 500, "存续"],
                                                    [code(2), "乙", "2019-02-30", 1, "存续"]], title="登记信息")
    result = run("records", "check", str(path), "--source", "hebei/market-regulation")
    assert result.returncode == 1
    (problem,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (problem["row"], problem["code"]) == (4, "record.date")
    assert "header found in row 2" in result.stderr.lower()


def test_ragged_row_mixed_encodings_and_a_huge_cell(tmp_path: Path):
    """15 MB on one line is over the line limit: one rejected row, the others read and counted."""
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join([
        ",".join(HEADER).encode(),
        f"{code(1)},甲,2019-03-05,1,存续".encode(),
        f"{code(2)},乙,2019-03-05,1,存续,多出来的".encode(),
        f"{code(3)},河北丙,2019-03-05,1,存续".encode("gb18030"),
        f"{code(4)},{'名' * 5_000_000},2019-03-05,1,存续".encode(),
    ]) + b"\n")
    result = run("records", "check", str(path), "--source", "hebei/market-regulation")
    assert result.returncode == 1
    problems = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["row"], p["code"]) for p in problems] == [(3, "record.ragged"), (4, "record.encoding"),
                                                         (5, "record.too_long")]
    assert "JJJCREDIT_LIMIT_LINE_BYTES" in problems[2]["message"]
    assert len(result.stdout) < 5_000
    assert "4 rows read: 1 valid, 0 with warnings, 3 rejected" in result.stderr


def test_identity_numbers_never_reach_the_output_whole(tmp_path: Path):
    header = ["统一社会信用代码", "负责人姓名", "负责人身份证号码", "名称"]
    person = "110105194912310021"  # wrong check character
    path = write_csv(tmp_path / "f.csv", header, [[code(1, department="7"), "张三", person, "某寺"],
                                                  ["11010519491231002X", "李四", "", "某庙"]])
    result = run("records", "check", str(path), "--source", "hebei/religious-affairs")
    assert result.returncode == 1
    assert person not in result.stdout and "11010519491231002X" not in result.stdout
    assert "110105********0021" in result.stdout


def test_a_deployment_crosswalk_directory(tmp_path: Path):
    folder = tmp_path / "crosswalks"
    folder.mkdir()
    (folder / "hebei-trade-unions.yaml").write_text(
        "source: hebei/trade-unions\ntitle: 本地\ncolumns:\n  工会全称: name\n  代码: uscc\n", "utf-8")
    path = write_csv(tmp_path / "f.csv", ["代码", "工会全称"], [[code(1, department="8"), "某工会"]])
    env = {"JJJCREDIT_CROSSWALKS_DIR": str(folder)}
    assert run("records", "check", str(path), "--source", "hebei/trade-unions", env=env).returncode == 0
    (folder / "hebei-trade-unions.yaml").write_text(
        "source: hebei/trade-unions\ncolumns:\n  工会全称: nmae\n", "utf-8")
    result = run("records", "check", str(path), "--source", "hebei/trade-unions", env=env)
    assert result.returncode == 2 and "error [crosswalk.unknown_element]" in result.stderr
    assert 'did you mean "name"' in result.stderr


def test_sources_lists_every_layout():
    result = run("records", "sources")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 19 and lines[0].startswith("standard\t")
    assert any(line.startswith("hebei/market-regulation\t河北省市场监督管理局") for line in lines)


def test_missing_file(tmp_path: Path):
    result = run("records", "check", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "error [file.not_found]" in result.stderr


def test_the_line_and_cell_limits_are_settings(tmp_path: Path):
    rows = [f"{code(1)},{'名' * 30},2019-03-05,1,存续", f"{code(2)},{'名' * 31},2019-03-05,1,存续"]
    path = tmp_path / "f.csv"
    path.write_text("\n".join([",".join(HEADER), *rows]) + "\n", "utf-8")
    cells = run("records", "check", str(path), "--source", "hebei/market-regulation",
                env={"JJJCREDIT_LIMIT_CELL_CHARS": "30"})
    assert [(p["row"], p["code"]) for p in map(json.loads, cells.stdout.splitlines())] == [(3, "record.too_long")]
    assert "2 rows read: 1 valid, 0 with warnings, 1 rejected" in cells.stderr
    line = len(rows[0].encode())  # the first line just fits, the second is three bytes over
    lines = run("records", "check", str(path), "--source", "hebei/market-regulation",
                env={"JJJCREDIT_LIMIT_LINE_BYTES": str(line)})
    (problem,) = map(json.loads, lines.stdout.splitlines())
    assert (problem["row"], problem["code"]) == (3, "record.too_long") and f"{line + 3:,} bytes" in problem["message"]
    assert run("records", "check", str(path), "--source", "hebei/market-regulation").returncode == 0


def test_a_department_without_a_shipped_layout_starts_one_from_its_header(database_url: str, tmp_path: Path):
    header = ["统一社会信用代码", "学校名称", "成立日期", "注册资本(万元)", "办学层次"]
    rows = [[code(i, region="110105", department="1"), f"北京市第{i}中学", "2001年9月1日", "500", "高中"]
            for i in range(1, 4)]
    path = write_csv(tmp_path / "学校.csv", header, rows, "gb18030")
    refused = run("records", "check", str(path), "--source", "beijing/education")
    assert refused.returncode == 2 and "[crosswalk.source]" in refused.stderr
    assert "jjjcredit records layout" in refused.stderr  # the way forward is named

    started = run("records", "layout", str(path), "--source", "beijing/education")
    assert started.returncode == 0, started.stderr
    text = started.stdout
    assert "source: beijing/education" in text and "encoding: gb18030" in text
    assert '"统一社会信用代码": uscc' in text and '"成立日期": established' in text
    assert '"注册资本(万元)": registered_capital' in text
    assert '# "学校名称": TODO' in text and '# "办学层次": TODO' in text  # left for the engineer
    assert "name (机构名称)" in text  # a required element with no column yet is named
    layout = tmp_path / "beijing-education.yaml"
    layout.write_text(text, "utf-8")
    unfinished = run("records", "check", str(path), "--layout", str(layout))
    assert unfinished.returncode == 2 and "[file.missing_column]" in unfinished.stderr

    layout.write_text(text.replace('# "学校名称": TODO', '"学校名称": name'), "utf-8")
    checked = run("records", "check", str(path), "--layout", str(layout))
    assert checked.returncode == 0, checked.stderr
    assert "3 rows read: 3 valid" in checked.stderr and "beijing/education" in checked.stderr
    assert "not in the layout, not checked: 办学层次" in checked.stderr
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    ingest = run("library", "ingest", str(path), "--layout", str(layout), "--db", database_url)
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["created"] == 3
    shown = json.loads(run("library", "show", rows[0][0], "--db", database_url).stdout)
    assert shown["organization"]["name"] == "北京市第1中学"

    folder = tmp_path / "layouts"  # the same layout in the deployment's layouts directory
    folder.mkdir()
    (folder / "beijing-education.yaml").write_text(layout.read_text("utf-8"), "utf-8")
    env = {"JJJCREDIT_CROSSWALKS_DIR": str(folder)}
    assert run("records", "check", str(path), "--source", "beijing/education", env=env).returncode == 0
    assert "beijing/education" in run("records", "sources", env=env).stdout

    other = run("records", "check", str(path), "--source", "beijing/civil-affairs", "--layout", str(layout))
    assert other.returncode == 2 and "[crosswalk.source]" in other.stderr and "beijing/education" in other.stderr
    missing = run("records", "check", str(path), "--layout", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "[crosswalk.file]" in missing.stderr and "none.yaml" in missing.stderr
    bad = run("records", "layout", str(path), "--source", "beijing/Education Bureau")
    assert bad.returncode == 2 and "[crosswalk.source]" in bad.stderr
