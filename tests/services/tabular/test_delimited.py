"""CSV files (services/tabular/delimited.py): delimiters, quotes, title lines, rows out of shape, the
plain path and the row by row path, and whatever the csv module writes read back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import decoding, delimited, readers
from tests.services.record_files import code, write_csv
from tests.services.tabular.table_rows import HEADER, read


def test_a_delimiter_at_the_end_of_every_line_makes_no_column(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(",".join(HEADER) + ",\n" + f"{code(1)},甲,2019,\n{code(2)},乙,2020\n{code(3)},丙,2021,x\n", "utf-8")
    table, got, issues = read(path)
    assert table.header == HEADER
    assert got[:2] == [(2, [code(1), "甲", "2019"]), (3, [code(2), "乙", "2020"])]
    assert issues == {4: "record.ragged"}  # a value past the header's last column is still a row out of shape
    path.write_text(",".join(HEADER) + "\n" + "".join(f"{code(i)},公司{i},2019,\n" for i in range(3)), "utf-8")
    assert [r for _, r in read(path)[1]] == [[code(i), f"公司{i}", "2019"] for i in range(3)]


@pytest.mark.parametrize(("delimiter", "newline"), [(",", "\n"), ("\t", "\r\n"), (";", "\n"), ("|", "\r\n")])
def test_csv_delimiters_and_line_ends(tmp_path: Path, delimiter, newline):
    rows = [[code(i), f"公司{i}", "2019-03-05"] for i in range(5)]
    _, got, _ = read(write_csv(tmp_path / "f.csv", HEADER, rows, delimiter=delimiter, newline=newline))
    assert [r for _, r in got] == rows


def test_quoted_cells_with_delimiters_and_line_breaks_stay_one_row(tmp_path: Path):
    rows = [[code(1), "甲,乙\n丙", "2019"], [code(2), '说"明"', "2020"], [code(3), "丁", "2021"]]
    _, got, issues = read(write_csv(tmp_path / "f.csv", HEADER, rows), chunk_rows=2)
    assert got == [(2, rows[0]), (3, rows[1]), (4, rows[2])] and issues == {}


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("河北省市场主体登记信息（2024年）\n" + ",".join(HEADER) + f"\n{code()},甲,2019\n", "utf-8")
    table, got, _ = read(path)
    assert table.header_row == 2 and table.header == HEADER and got == [(3, [code(), "甲", "2019"])]


def test_ragged_rows_are_flagged_where_they_are(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(",".join(HEADER) + f"\n{code(1)},甲,2019\n{code(2)},乙,有,逗号,2019\n{code(3)},丙\n\n", "utf-8")
    _, got, issues = read(path)
    assert issues == {3: "record.ragged", 4: "record.ragged"}
    assert [n for n, _ in got] == [2, 3, 4, 5]
    assert got[3] == (5, ["", "", ""])  # a blank line keeps its number


def test_an_unclosed_quote_is_flagged_not_swallowed_silently(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(",".join(HEADER) + f'\n{code(1)},"甲,2019\n{code(2)},乙,2019\n{code(3)},丙,2019\n', "utf-8")
    _, got, issues = read(path)
    assert issues == {2: "record.ragged"}
    assert [n for n, _ in got] == [2], "the lines after the open quote are inside row 2's cell, and it says so"


def test_a_five_megabyte_cell_is_read_whole_when_the_limits_allow_it(tmp_path: Path):
    rows = [[code(1), "名" * 5_000_000, "2019"], [code(2), "乙", "2019"]]
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    roomy = Limits(line_bytes=16 << 20, cell_chars=5_000_000)
    _, got, issues = read(path, limits=roomy)
    assert len(got[0][1][1]) == 5_000_000 and got[1] == (3, rows[1]) and issues == {}
    _, got, issues = read(path, limits=replace(roomy, cell_chars=4_999_999))
    assert issues == {2: "record.too_long"} and got[1] == (3, rows[1])


@pytest.mark.parametrize("at", [5_000, 30_000])  # inside the first block (past what is sniffed), past it
@pytest.mark.parametrize("quoted", [False, True])
def test_a_nul_byte_past_what_is_sniffed_of_a_csv_is_one_rejected_row(tmp_path: Path, quoted: bool, at: int):
    """The file's start is judged for being text (file.binary); a NUL further on rejects its row alone."""
    rows = [[code(i), f"河北{i}号有限公司" if not quoted or i % 2 else f'"河北,{i}号"', "2019-03-05"]
            for i in range(40_000)]
    rows[at][1] = "河北\x00号有限公司"
    path = tmp_path / "f.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", "utf-8")
    data = path.read_bytes()
    assert data.index(b"\x00") > (1 << 16) and (data.index(b"\x00") > (1 << 20)) == (at > 10_000)
    _, got, issues = read(path)
    assert issues == {at + 2: "record.bad_characters"} and len(got) == 40_000


def test_headers_only_gives_no_rows(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(",".join(HEADER) + "\n", "utf-8")
    table, got, _ = read(path)
    assert table.header == HEADER and got == []


# No lone CR (the writer would not quote it); short cells, so that no line inside one looks like a row.
CELL = st.text(st.sampled_from(list('ab甲乙 ,;"\n\t1-')), max_size=4)
WIDE = ["统一社会信用代码", "企业名称", "备注", "住所", "经营范围", "成立日期"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=6, max_size=6), min_size=1, max_size=40), st.sampled_from([",", "\t"]),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from([64, 4096]))
def test_whatever_csv_writes_is_read_back_cell_for_cell(tmp_path: Path, monkeypatch, rows, delimiter, newline,
                                                        block):
    monkeypatch.setattr(decoding, "_BLOCK", block)
    rows = [[code(i), *row[1:]] for i, row in enumerate(rows)]  # a first column that is never blank
    path = write_csv(tmp_path / "p.csv", WIDE, rows, delimiter=delimiter, newline=newline)
    _, got, issues = read(path, chunk_rows=7)
    assert issues == {}
    assert [r for _, r in got] == rows
    assert [n for n, _ in got] == list(range(2, len(rows) + 2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=6, max_size=6), min_size=1, max_size=60), st.sampled_from([",", "\t", "|"]),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from([64, 300, 4096]), st.sampled_from([1, 3, 7, 100]))
def test_plain_blocks_split_by_pyarrow_give_the_cells_rows_and_issues_of_the_split_by_lines(
        tmp_path: Path, monkeypatch, rows, delimiter, newline, block, chunk_rows):
    """Blocks with no quote and every line as wide as the header (most exports) are split by pyarrow when a
    reader of Arrow columns asks: the same cells, row numbers and issues, in chunks of at most chunk_rows."""
    monkeypatch.setattr(decoding, "_BLOCK", block)
    monkeypatch.setattr(delimited, "ARROW_BLOCK", block)
    rows = [[code(i), *row[1:]] for i, row in enumerate(rows)]
    path = write_csv(tmp_path / "p.csv", WIDE, rows, delimiter=delimiter, newline=newline)
    assert read(path, chunk_rows=chunk_rows, arrow=True)[1:] == read(path, chunk_rows=chunk_rows)[1:]
    with readers.open_table(str(path), chunk_rows, arrow=True) as table:
        assert all(chunk.size <= chunk_rows for chunk in table.chunks)


def test_a_one_column_file_with_empty_lines_is_split_alike(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(decoding, "_BLOCK", 64)
    monkeypatch.setattr(delimited, "ARROW_BLOCK", 64)
    path = tmp_path / "one.csv"
    path.write_text("代码\n" + "".join(f"{code(i)}\n" if i % 3 else "\n" for i in range(40)), encoding="utf-8")
    assert read(path, chunk_rows=5, arrow=True)[1:] == read(path, chunk_rows=5)[1:]
