"""The row readers behind ``records check``: formats, encodings, and files that are not what they say."""

from __future__ import annotations

import datetime
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jjjcredit.core.library import transforms
from jjjcredit.core.limits import Limits
from jjjcredit.services import tabular
from jjjcredit.services.tabular import InputFileError

from .record_files import code, swell_inline_string, swell_shared_string, write_csv, write_jsonl, write_xlsx, write_xml

HEADER = ["统一社会信用代码", "企业名称", "成立日期"]


def read(path: Path, chunk_rows: int = tabular.ROWS_PER_CHUNK, limits: Limits = Limits()):
    """(table, [(row number, cells) ...], {row number: issue code})"""
    with tabular.open_table(str(path), chunk_rows, limits) as table:
        rows, issues = [], {}
        for chunk in table.chunks:
            cells = list(zip(*chunk.columns, strict=True)) if chunk.columns and chunk.size else []
            assert len(cells) == chunk.size or not chunk.columns
            for i in range(chunk.size):
                rows.append((chunk.first_row + i, list(cells[i]) if cells else []))
            issues.update({chunk.first_row + i: issue[0] for i, issue in chunk.issues.items()})
        return table, rows, issues


def test_csv_utf8_with_and_without_bom_and_gb18030(tmp_path: Path):
    rows = [[code(1), "河北甲有限公司", "2019-03-05"], [code(2), "河北乙有限公司", "20190306"]]
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        table, got, issues = read(write_csv(tmp_path / f"{encoding}.csv", HEADER, rows, encoding))
        assert table.header == HEADER
        assert table.encoding == ("utf-8" if encoding == "utf-8-sig" else encoding)
        assert got == [(2, rows[0]), (3, rows[1])] and issues == {}


def test_a_gb18030_file_with_its_byte_order_mark(tmp_path: Path):
    rows = [[code(1), "河北甲有限公司", "2019-03-05"]]
    path = write_csv(tmp_path / "f.csv", HEADER, rows, "gb18030")
    path.write_bytes("\ufeff".encode("gb18030") + path.read_bytes())
    table, got, issues = read(path)
    assert table.header == HEADER and table.encoding == "gb18030" and got == [(2, rows[0])] and issues == {}


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


def test_rows_are_numbered_across_blocks_and_chunks(tmp_path: Path):
    rows = [[code(i), f"名称{i}" * 20, "2019-03-05"] for i in range(3000)]
    rows[1500][1] = "带,逗号"  # one quoted cell somewhere in the middle
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    original = tabular._BLOCK
    tabular._BLOCK = 4096  # many blocks: plain ones and one that needs the csv module
    try:
        _, got, issues = read(path, chunk_rows=97)
    finally:
        tabular._BLOCK = original
    assert [n for n, _ in got] == list(range(2, 3002))
    assert [r for _, r in got] == rows and issues == {}


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


def test_a_utf8_file_with_gb18030_rows(tmp_path: Path):
    good = (",".join(HEADER) + f"\n{code(1)},北京甲公司,2019\n").encode()
    bad = f"{code(2)},河北乙公司,2019\n".encode("gb18030")
    path = tmp_path / "f.csv"
    path.write_bytes(good + bad + f"{code(3)},天津丙公司,2019\n".encode())
    table, got, issues = read(path)
    assert table.encoding == "utf-8"
    assert issues == {3: "record.encoding"}
    assert [n for n, _ in got] == [2, 3, 4] and got[2][1][1] == "天津丙公司"


def test_a_gb18030_file_with_a_utf8_row(tmp_path: Path):
    head = (",".join(HEADER) + "\n").encode("gb18030")
    rows = [f"{code(i)},河北某某建筑工程有限公司{i},2019\n".encode("gb18030") for i in range(5)]
    rows[3] = f"{code(3)},河北某某建筑工程有限公司3,2019\n".encode()
    path = tmp_path / "f.csv"
    path.write_bytes(head + b"".join(rows))
    table, got, issues = read(path)
    assert table.encoding == "gb18030" and issues == {5: "record.encoding"}
    assert got[0][1][1] == "河北某某建筑工程有限公司0"


def test_a_five_megabyte_cell_is_read_whole_when_the_limits_allow_it(tmp_path: Path):
    rows = [[code(1), "名" * 5_000_000, "2019"], [code(2), "乙", "2019"]]
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    roomy = Limits(line_bytes=16 << 20, cell_chars=5_000_000)
    _, got, issues = read(path, limits=roomy)
    assert len(got[0][1][1]) == 5_000_000 and got[1] == (3, rows[1]) and issues == {}
    _, got, issues = read(path, limits=replace(roomy, cell_chars=4_999_999))
    assert issues == {2: "record.too_long"} and got[1] == (3, rows[1])


@pytest.mark.parametrize("chunk_rows", [2, tabular.ROWS_PER_CHUNK])
def test_a_line_over_the_limit_is_one_rejected_row_and_the_rest_is_read(tmp_path: Path, chunk_rows: int):
    limits = Limits(line_bytes=1000, cell_chars=1000)
    head = (",".join(HEADER) + "\n").encode()
    line = f"{code(2)},{'x' * (1000 - 24)},2019".encode()  # 1,000 bytes without its line end: at the limit
    rows = [f"{code(1)},甲,2019".encode(), line, line + b"y", (code(4) + ",丁," + "z" * 300_000).encode(),
            f"{code(5)},戊,2019".encode()]
    path = tmp_path / "f.csv"
    path.write_bytes(head + b"\n".join(rows) + b"\n")
    _, got, issues = read(path, chunk_rows, limits)
    assert [n for n, _ in got] == [2, 3, 4, 5, 6], "every row counted, in its place"
    assert issues == {4: "record.too_long", 5: "record.too_long"}
    assert got[1][1][1] == "x" * 976 and got[4][1] == [code(5), "戊", "2019"]
    with tabular.open_table(str(path), chunk_rows, limits) as table:
        messages = [m for c in table.chunks for _, m, _ in c.issues.values()]
    assert messages[0] == ("The line holds 1,001 bytes, more than the limit of 1,000 (setting "
                           "JJJCREDIT_LIMIT_LINE_BYTES); it was skipped unread: split or shorten it.")
    assert "holds 300,023 bytes" in messages[1]
    assert all(len(m) < 300 for m in messages), "the message says how long, it does not hold the line"


def test_a_utf16_line_over_the_limit_is_one_rejected_row_measured_in_utf8(tmp_path: Path):
    """A UTF-16 file is read as UTF-8 a block at a time: its lines meet the same limit, in UTF-8 bytes."""
    limits = Limits(line_bytes=1000, cell_chars=1000)
    lines = [",".join(HEADER), f"{code(1)},甲,2019", f"{code(2)},{'名' * 400},2019", f"{code(3)},丙,2019"]
    path = tmp_path / "f.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-16") + "\r\n".encode("utf-16-le"))
    table, got, issues = read(path, limits=limits)
    assert table.encoding == "utf-16"
    assert [n for n, _ in got] == [2, 3, 4] and issues == {3: "record.too_long"}
    assert got[2][1] == [code(3), "丙", "2019"]


def test_a_cell_over_the_limit_names_its_column(tmp_path: Path):
    limits = Limits(cell_chars=20)
    rows = [[code(1), "名" * 20, "2019"], [code(2), "名" * 21, "2019"]]
    for path in (write_csv(tmp_path / "f.csv", HEADER, rows), write_xlsx(tmp_path / "f.xlsx", HEADER, rows),
                 write_jsonl(tmp_path / "f.jsonl", HEADER, rows), write_xml(tmp_path / "f.xml", HEADER, rows)):
        with tabular.open_table(str(path), limits=limits) as table:
            chunks = list(table.chunks)
        issues = {c.first_row + i: issue for c in chunks for i, issue in c.issues.items()}
        row = 3 if path.suffix in (".csv", ".xlsx") else 2  # JSON Lines and XML: records from 1
        assert list(issues) == [row], path.name
        code_, message, _ = issues[row]
        assert code_ == "record.too_long" and "企业名称" in message and "20" in message, (path.name, message)
        assert sum(c.size for c in chunks) == 2


def test_a_huge_shared_string_is_counted_not_held(tmp_path: Path):
    """The XLSX's shared strings are parsed a piece at a time: an 8 MB string becomes a marker."""
    rows = [[code(1), "HUGE", "2019"], [code(2), "乙", "2019"]]
    path = swell_shared_string(write_xlsx(tmp_path / "f.xlsx", HEADER, rows), "HUGE", 8_000_000)
    _, got, issues = read(path, limits=Limits(cell_chars=1000))
    assert issues == {2: "record.too_long"} and got[1] == (3, rows[1])
    with tabular.open_table(str(path), limits=Limits(cell_chars=1000)) as table:
        chunk = next(table.chunks)
    assert "8,000,000 characters" in chunk.issues[0][1] and "企业名称" in chunk.issues[0][1]


def test_an_xlsx_value_under_no_header_is_said_where_it_is(tmp_path: Path):
    rows = [[code(1), "甲", "2019"], [code(2), "乙", "2019", "", "多余"], [code(3), "丙", "2019", " "]]
    with tabular.open_table(str(write_xlsx(tmp_path / "f.xlsx", HEADER, rows))) as table:
        chunk = next(table.chunks)
    assert list(chunk.issues) == [1]
    issue = chunk.issues[1]
    assert issue[0] == "record.ragged" and "column E, past the header's last column (C)" in issue[1]
    assert "delimiter" not in issue[1] and chunk.columns[1][2] == "丙"


def test_a_cell_merged_over_rows_is_read_in_every_row_it_covers(tmp_path: Path):
    """An authority or a date written once for a block of rows (a merged cell, as hand-made sheets have
    them): its value is each covered row's; a range within one row is left as its first cell says."""
    import openpyxl

    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名单（2026年）"])  # a title merged across the columns
    sheet.append(HEADER)
    for n in range(1, 6):
        sheet.append([code(n), "甲" if n == 1 else None, "2019-03-05" if n in (1, 4) else None])
    sheet.merge_cells("A1:C1")
    sheet.merge_cells("B3:B5")  # 甲 for rows 3-5
    sheet.merge_cells("C3:C4")  # the date for rows 3-4; row 5 its own (none); rows 6-7 another range
    sheet.merge_cells("C6:C7")
    book.save(path)
    with tabular.open_table(str(path)) as table:
        chunk = next(table.chunks)
        assert (table.header, table.header_row) == (HEADER, 2)
        assert table.merged == ["B3:B5", "C3:C4", "C6:C7"]
    assert list(chunk.columns[1]) == ["甲", "甲", "甲", "", ""]
    assert list(chunk.columns[2]) == ["2019-03-05", "2019-03-05", "", "2019-03-05", "2019-03-05"]


def test_a_huge_inline_cell_refuses_the_workbook_before_it_is_held(tmp_path: Path):
    """A cell written inline in the sheet (no spreadsheet program writes one over 32,767 characters) is
    refused at the first stretch of its text past the limit; a sheet that expands like a zip bomb is
    refused before a byte of it is read: 200 MB of it never reach memory."""
    rows = [[code(1), "甲", "2019"], [code(2), "HUGE", "2019"]]
    long = swell_inline_string(write_xlsx(tmp_path / "long.xlsx", HEADER, rows), "HUGE", 200_000)
    with pytest.raises(InputFileError) as refused:
        read(long)
    assert refused.value.code == "file.xlsx_cell" and "32,767 characters" in refused.value.message
    bomb = swell_inline_string(write_xlsx(tmp_path / "bomb.xlsx", HEADER, rows), "HUGE", 70_000_000)
    assert bomb.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as refused:
            read(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == "file.xlsx_expands" and "more than 100 times" in refused.value.message
    assert peak < 20_000_000


def test_a_workbook_of_too_many_shared_strings_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(tabular, "SHARED_STRINGS", 0)  # (the real bound, 16,777,216, takes a large file)
    rows = [[code(1), "S0", "2019"]]
    with pytest.raises(InputFileError) as refused:
        read(swell_shared_string(write_xlsx(tmp_path / "f.xlsx", HEADER, rows), "S0", 10))
    assert refused.value.code == "file.xlsx_strings" and "more than 0 shared strings" in refused.value.message


def test_a_json_line_nested_too_deep_is_one_rejected_row(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    deep = '{"统一社会信用代码": ' + "[" * 3000 + "]" * 3000 + "}"
    path.write_text("\n".join([f'{{"统一社会信用代码": "{code(1)}", "企业名称": "甲"}}', deep,
                               f'{{"统一社会信用代码": "{code(3)}", "企业名称": "丙"}}']) + "\n", "utf-8")
    _, got, issues = read(path)
    assert issues == {2: "record.too_deep"} and [n for n, _ in got] == [1, 2, 3]


def test_json_lines_no_text_can_hold_or_no_parser_can_follow_are_rejected_rows(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    lines = [f'{{"统一社会信用代码": "{code(1)}", "企业名称": "甲"}}',
             f'{{"统一社会信用代码": "{code(2)}", "企业名称": "\\ud800乙"}}',
             f'{{"统一社会信用代码": "{code(3)}", "企业名称": "\\u0000"}}',
             f'{{"统一社会信用代码": "{code(4)}", "\\udfff": "丁"}}',
             f'{{"统一社会信用代码": "{code(5)}", "注册资本": {"9" * 5000}}}',
             f'{{"统一社会信用代码": "{code(6)}", "企业名称": {"[" * 3000}"戊"{"]" * 3000}}}',
             f'{{"统一社会信用代码": "{code(7)}", "企业名称": "己"}}']
    path.write_text("\n".join(lines) + "\n", "utf-8")
    _, got, issues = read(path, limits=Limits(json_depth=5000))
    assert [n for n, _ in got] == [1, 2, 3, 4, 5, 6, 7]
    assert issues == {2: "record.bad_characters", 3: "record.bad_characters", 4: "record.bad_characters",
                      5: "record.shape", 6: "record.too_deep"}


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


@pytest.mark.parametrize(("content", "code_"), [
    (b"", "file.empty"),
    (b"\n\n\n", "file.empty"),
    (b"\x00\x01\x02binary", "file.binary"),
    (b"\xd0\xcf\x11\xe0old excel", "file.format"),
])
def test_files_that_cannot_be_read(tmp_path: Path, content, code_):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        tabular.open_table(str(path))
    assert info.value.code == code_
    assert str(path) in info.value.message


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(InputFileError) as info:
        tabular.open_table(str(tmp_path / "nope.csv"))
    assert info.value.code == "file.not_found"
    with pytest.raises(InputFileError) as info:
        tabular.open_table(str(tmp_path))
    assert info.value.code == "file.is_directory"


def test_headers_only_gives_no_rows(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text(",".join(HEADER) + "\n", "utf-8")
    table, got, _ = read(path)
    assert table.header == HEADER and got == []


def test_xlsx_values_become_text_as_the_user_sees_them(tmp_path: Path):
    path = write_xlsx(tmp_path / "f.xlsx", [*HEADER, "注册资本", "人数"], [
        [code(1), "甲", datetime.datetime(2019, 3, 5), 500.0, 12],
        [None, None, None, None, None],
        [code(2), "乙", "2019年3月6日", 12.5, None],
    ], title="河北省市场主体登记信息")
    table, got, issues = read(path)
    assert table.format == "xlsx" and table.header_row == 2
    assert got == [(3, [code(1), "甲", "20190305", "500", "12"]), (4, [""] * 5),
                   (5, [code(2), "乙", "2019年3月6日", "12.5", ""])]
    assert issues == {}


CELLS = [datetime.datetime(2019, 3, 5), datetime.date(2019, 3, 6), datetime.datetime(2019, 3, 7, 8, 30),
         500.0, 12.5, 12, True, "2019-03-08", None]


def test_both_xlsx_entry_points_read_a_cell_alike_and_a_date_as_the_platform_writes_dates(tmp_path: Path):
    """``open_table`` (records check, ingest) and ``read_column`` (codes check) read XLSX with the one
    reader: the same text for every cell, a date as ``YYYYMMDD`` that the date transform takes."""
    path = write_xlsx(tmp_path / "f.xlsx", ["统一社会信用代码", "值"], [[code(i), v] for i, v in enumerate(CELLS)])
    _, got, _ = read(path)
    by_table = [cells[1] for _, cells in got]
    by_column = [c.value for c in tabular.read_column(str(path), "值")]
    assert by_column == by_table
    assert by_table == ["20190305", "20190306", "20190307 08:30:00", "500", "12.5", "12", "true", "2019-03-08", ""]
    assert [c.row for c in tabular.read_column(str(path), "值")] == list(range(2, 2 + len(CELLS)))
    assert [transforms.date(v) for v in by_table[:3]] == ["20190305", "20190306", "20190307"]


def test_truncated_xlsx(tmp_path: Path):
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(i), "甲" * 50, "2019"] for i in range(2000)])
    data = path.read_bytes()
    for cut in (len(data) // 2, 100, len(data) - 30):
        broken = tmp_path / f"cut{cut}.xlsx"
        broken.write_bytes(data[:cut])
        with pytest.raises(InputFileError) as info:
            read(broken)
        assert info.value.code == "file.xlsx_damaged"
        assert "export it again" in info.value.message


def test_only_the_first_sheet_is_read_and_its_size_is_not_searched_for_past_its_cells(tmp_path: Path):
    """A workbook's other sheets are not parsed: one damaged after its first tag (a second sheet of notes,
    broken in its cells) does not stop the first from being read. A sheet written without a ``<dimension>`` (as many
    writers leave it) is read as one with it, and opening it reads no further than its cells' start."""
    import zipfile

    import openpyxl

    path = tmp_path / "two.xlsx"
    book = openpyxl.Workbook(write_only=True)  # (writes no <dimension>)
    first = book.create_sheet("records")
    first.append(HEADER)
    for i in range(300):
        first.append([code(i), "甲", "2019"])
    book.create_sheet("notes").append(["说明"])
    book.save(path)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            assert info.filename != "xl/worksheets/sheet1.xml" or b"<dimension" not in data
            cut = data[:data.find(b"<row") + 7] if info.filename == "xl/worksheets/sheet2.xml" else data
            out.writestr(info, cut)
    rows = tabular._XlsxRows(str(broken), "broken.xlsx")
    try:
        assert next(rows) == HEADER and sum(1 for _ in rows) == 300
    finally:
        rows.close()


def test_a_sheet_whose_dimension_says_less_than_its_cells_is_read_whole(tmp_path: Path):
    """A ``<dimension>`` is the writer's word for the sheet's size, and some writers get it wrong: the cells
    past it (rows below, a value right of the last column) are read, not dropped unseen; one far too large
    (``A1:XFD1048576``) costs no padding."""
    import re
    import zipfile

    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(i), "甲", "2019"] for i in range(3)])
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert '<dimension ref="A1:C4"/>' in sheet
    extra = (f'<row r="5"><c r="A5" t="inlineStr"><is><t>{code(7)}</t></is></c>'
             '<c r="B5" t="inlineStr"><is><t>乙</t></is></c></row>'
             '<row r="6"><c r="A6" t="inlineStr"><is><t>x</t></is></c><c r="E6" t="inlineStr"><is><t>备注</t></is></c>'
             "</row>")
    for name, dimension in (("short", "A1:C4"), ("huge", "A1:XFD1048576")):
        wrong = tmp_path / f"{name}.xlsx"
        with zipfile.ZipFile(wrong, "w", zipfile.ZIP_DEFLATED) as out:
            for part, data in parts.items():
                if part == "xl/worksheets/sheet1.xml":
                    data = re.sub(r'<dimension ref="[^"]+"/>', f'<dimension ref="{dimension}"/>',
                                  sheet.replace("</sheetData>", extra + "</sheetData>")).encode()
                out.writestr(part, data)
        _, rows, issues = read(wrong)
        assert [r for r, _ in rows] == [2, 3, 4, 5, 6]
        assert rows[3] == (5, [code(7), "乙", ""])
        assert issues == {6: "record.ragged"}  # a value under no header: said, not lost


def test_a_csv_named_xlsx(tmp_path: Path):
    path = tmp_path / "f.xlsx"
    path.write_text(",".join(HEADER), "utf-8")
    with pytest.raises(InputFileError) as info:
        tabular.open_table(str(path))
    assert info.value.code == "file.xlsx_damaged"


def test_jsonl_records_and_lines_that_are_not(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    path.write_text(
        f'{{"统一社会信用代码": "{code(1)}", "企业名称": "甲", "注册资本": 500}}\n'
        "\n"
        "{not json}\n"
        "[1, 2]\n"
        f'{{"统一社会信用代码": "{code(2)}", "企业名称": {{"x": 1}}}}\n'
        f'{{"统一社会信用代码": "{code(3)}", "备注": "x"}}\n'
        f'{{"统一社会信用代码": "{code(4)}", "企业名称": null}}\n', "utf-8")
    table, got, issues = read(path)
    assert table.format == "jsonl" and table.header == ["统一社会信用代码", "企业名称", "注册资本", "备注"]
    assert [n for n, _ in got] == [1, 2, 3, 4, 5, 6, 7]
    assert got[0][1] == [code(1), "甲", "500", ""] and got[6][1] == [code(4), "", "", ""]
    assert issues == {3: "record.shape", 4: "record.shape", 5: "record.shape"}
    with tabular.open_table(str(path), tabular.ROWS_PER_CHUNK, Limits()) as again:  # a line not read: its start
        shown = {chunk.first_row + i: issue[2] for chunk in again.chunks for i, issue in chunk.issues.items()}
    assert (shown[3], shown[4]) == ("{not json}", "[1, 2]")


def test_xml_records_as_elements_or_named_fields(tmp_path: Path):
    path = tmp_path / "f.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><records xmlns="urn:x">'
        f"<record><统一社会信用代码>{code(1)}</统一社会信用代码><企业名称>甲</企业名称></record>"
        f'<record><field name="统一社会信用代码">{code(2)}</field><field name="注册资本(万元)">5</field></record>'
        f"<record><企业名称><b>x</b></企业名称></record>"
        "</records>", "utf-8")
    table, got, issues = read(path)
    assert table.header == ["统一社会信用代码", "企业名称", "注册资本(万元)"]
    assert got[:2] == [(1, [code(1), "甲", ""]), (2, [code(2), "", "5"])]
    assert issues == {3: "record.shape"}


def test_a_small_or_large_number_is_read_as_written_not_in_exponent_form(tmp_path: Path):
    """A JSON number or an Excel number cell of a fine in 万元 (0.00005: 0.5 元) is the digits the provider typed,
    never ``5e-05``, which no amount check reads; a nested value is named as JSON names it."""
    header = ["罚款金额", "处罚内容", "备注"]
    path = tmp_path / "f.jsonl"
    path.write_text('{"罚款金额": 0.00005, "处罚内容": "罚款", "备注": 1e16}\n'
                    '{"罚款金额": 1, "处罚内容": {"罚款": 1}, "备注": [1]}\n', "utf-8")
    _, rows, _ = read(path)
    assert rows[0] == (1, ["0.00005", "罚款", "1e+16"])  # (16 digits: as a spreadsheet could not have kept them)
    with tabular.open_table(str(path)) as table:
        issue = next(table.chunks).issues[1]
    assert "a JSON object" in issue[1] and "dict" not in issue[1]
    book = write_xlsx(tmp_path / "f.xlsx", header, [[0.00005, "罚款", 1.5e-7]])
    _, rows, _ = read(book)
    assert rows[0] == (2, ["0.00005", "罚款", "0.00000015"])


def test_xml_records_wrapped_one_level_deeper_are_refused_saying_where_they_are(tmp_path: Path):
    """A department's export often wraps its records in an envelope (a head of metadata, then a body element
    holding the records): read as the root's children, its head would pass for the one record and its body
    for a field — the file is refused saying which element holds the records and the shape expected."""
    path = tmp_path / "f.xml"
    rows = "".join(f'<ROW><FIELD name="统一社会信用代码">{code(n)}</FIELD><FIELD name="企业名称">甲{n}</FIELD></ROW>'
                   for n in range(3))
    path.write_text(f'<?xml version="1.0"?><DATAPACKET><HEAD><SENDER>局</SENDER><COUNT>3</COUNT></HEAD>'
                    f"<DATA>{rows}</DATA></DATAPACKET>", "utf-8")
    with pytest.raises(InputFileError) as info:
        read(path)
    assert info.value.code == "file.format"
    assert "<DATA>" in info.value.message and "<ROW>" in info.value.message
    assert "the root's children" in info.value.message


@pytest.mark.parametrize("declared", ["GB18030", "GBK", "gb2312", None])
def test_xml_in_gb18030_as_declared_or_not_utf8(tmp_path: Path, declared: str | None):
    path = tmp_path / "f.xml"
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    path.write_bytes((f"{head}<records><record><统一社会信用代码>{code(1)}</统一社会信用代码>"
                      "<企业名称>河北甲有限公司</企业名称></record></records>").encode("gb18030"))
    table, got, issues = read(path)
    assert table.header == ["统一社会信用代码", "企业名称"] and got == [(1, [code(1), "河北甲有限公司"])]
    assert issues == {}


def test_xml_in_an_encoding_not_read_here_is_refused_by_name(tmp_path: Path):
    path = tmp_path / "f.xml"
    path.write_bytes('<?xml version="1.0" encoding="Shift_JIS"?><records/>'.encode("ascii"))
    with pytest.raises(InputFileError) as refused:
        read(path)
    assert refused.value.code == "file.encoding" and "shift-jis" in refused.value.message


def test_a_huge_xml_field_or_record_is_counted_not_held(tmp_path: Path):
    """A field's text is counted as expat hands it over: an 8 MB field, or a record of 20,000 small
    fields, is one rejected record and never held (peak memory well under its size)."""
    path = tmp_path / "f.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?><records><record><统一社会信用代码>{code(1)}'
                  "</统一社会信用代码><企业名称>")
        for _ in range(80):
            out.write("名" * 100_000)
        out.write("</企业名称></record><record>")
        out.write("".join(f"<f{i}>x</f{i}>" for i in range(20_000)))
        out.write(f"</record><record><统一社会信用代码>{code(3)}</统一社会信用代码></record></records>")
    limits = Limits(line_bytes=100_000, cell_chars=1000)
    tracemalloc.start()
    try:
        with tabular.open_table(str(path), limits=limits) as table:
            chunks = list(table.chunks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    issues = {c.first_row + i: issue for c in chunks for i, issue in c.issues.items()}
    assert sorted(issues) == [1, 2] and {code_ for code_, _, _ in issues.values()} == {"record.too_long"}
    assert "8,000,000 characters" in issues[1][1] and "企业名称" in issues[1][1]
    assert "JJJCREDIT_LIMIT_LINE_BYTES" in issues[2][1]
    assert sum(c.size for c in chunks) == 3
    assert peak < 4_000_000, f"peak {peak:,} bytes while reading a file of {path.stat().st_size:,}"


def test_an_xml_document_type_is_refused(tmp_path: Path):
    path = tmp_path / "f.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><records><record><x>&a;</x>'
                    "</record></records>", "utf-8")
    with pytest.raises(InputFileError) as info:
        read(path)
    assert info.value.code == "file.format" and "document type" in info.value.message


def test_malformed_xml_stops_with_the_place(tmp_path: Path):
    path = write_xml(tmp_path / "f.xml", HEADER, [[code(i), "甲", "2019"] for i in range(3)])
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(InputFileError) as info:
        read(path)
    assert info.value.code == "file.format" and "line" in info.value.message


def test_jsonl_written_then_read(tmp_path: Path):
    rows = [[code(i), f"公司{i}", "2019-03-05"] for i in range(3)]
    _, got, _ = read(write_jsonl(tmp_path / "f.jsonl", HEADER, rows))
    assert [r for _, r in got] == rows


# No lone CR (the writer would not quote it); short cells, so that no line inside one looks like a row.
CELL = st.text(st.sampled_from(list('ab甲乙 ,;"\n\t1-')), max_size=4)
WIDE = ["统一社会信用代码", "企业名称", "备注", "住所", "经营范围", "成立日期"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=6, max_size=6), min_size=1, max_size=40), st.sampled_from([",", "\t"]),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from([64, 4096]))
def test_whatever_csv_writes_is_read_back_cell_for_cell(tmp_path: Path, monkeypatch, rows, delimiter, newline,
                                                        block):
    monkeypatch.setattr(tabular, "_BLOCK", block)
    rows = [[code(i), *row[1:]] for i, row in enumerate(rows)]  # a first column that is never blank
    path = write_csv(tmp_path / "p.csv", WIDE, rows, delimiter=delimiter, newline=newline)
    _, got, issues = read(path, chunk_rows=7)
    assert issues == {}
    assert [r for _, r in got] == rows
    assert [n for n, _ in got] == list(range(2, len(rows) + 2))
