"""XLSX workbooks (services/tabular/xlsx.py): cells as the user sees them, merged cells, shared strings and
parts bounded, damaged workbooks, the first sheet only and read whole."""

from __future__ import annotations

import datetime
import tracemalloc
from pathlib import Path

import pytest

from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import readers, xlsx
from jjjcredit.services.tabular.files import InputFileError
from tests.services.record_files import code, swell_inline_string, swell_shared_string, write_xlsx
from tests.services.tabular.table_rows import HEADER, read


def test_a_huge_shared_string_is_counted_not_held(tmp_path: Path):
    """The XLSX's shared strings are parsed a piece at a time: an 8 MB string becomes a marker."""
    rows = [[code(1), "HUGE", "2019"], [code(2), "乙", "2019"]]
    path = swell_shared_string(write_xlsx(tmp_path / "f.xlsx", HEADER, rows), "HUGE", 8_000_000)
    _, got, issues = read(path, limits=Limits(cell_chars=1000))
    assert issues == {2: "record.too_long"} and got[1] == (3, rows[1])
    with readers.open_table(str(path), limits=Limits(cell_chars=1000)) as table:
        chunk = next(table.chunks)
    assert "8,000,000 characters" in chunk.issues[0][1] and "企业名称" in chunk.issues[0][1]


def test_an_xlsx_value_under_no_header_is_said_where_it_is(tmp_path: Path):
    rows = [[code(1), "甲", "2019"], [code(2), "乙", "2019", "", "多余"], [code(3), "丙", "2019", " "]]
    with readers.open_table(str(write_xlsx(tmp_path / "f.xlsx", HEADER, rows))) as table:
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
    with readers.open_table(str(path)) as table:
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
    monkeypatch.setattr(xlsx, "SHARED_STRINGS", 0)  # (the real bound, 16,777,216, takes a large file)
    rows = [[code(1), "S0", "2019"]]
    with pytest.raises(InputFileError) as refused:
        read(swell_shared_string(write_xlsx(tmp_path / "f.xlsx", HEADER, rows), "S0", 10))
    assert refused.value.code == "file.xlsx_strings" and "more than 0 shared strings" in refused.value.message


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
    rows = xlsx.XlsxRows(str(broken), "broken.xlsx")
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


