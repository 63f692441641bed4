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




def _rebuilt(path: Path, name: str, change) -> Path:
    """A copy of the workbook at ``path`` as ``name`` beside it, each part ``change(part, data)`` → (part, data)."""
    import zipfile

    out = path.with_name(name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as sink:
        for info in source.infolist():
            part, data = change(info.filename, source.read(info))
            sink.writestr(part, data)
    return out


def _swollen(part: str, filler: bytes):
    """A change that puts ``filler`` before the closing tag of ``part``'s root."""
    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name != part:
            return name, data
        at = data.rindex(b"</")
        return name, data[:at] + filler + data[at:]
    return change


@pytest.mark.parametrize(("part", "filler"), [
    ("xl/styles.xml", b"<x/>" * 1_250_000),  # 5 MB of empty elements: a tree of a gigabyte at 32 MB
    ("xl/theme/theme1.xml", b" " * 8_000_000),
    ("[Content_Types].xml", b" " * 8_000_000),
    ("xl/workbook.xml", b" " * 8_000_000),
    ("xl/_rels/workbook.xml.rels", b" " * 8_000_000),
    ("docProps/core.xml", b" " * 8_000_000),
])
def test_every_part_that_expands_like_a_zip_bomb_is_refused_before_it_is_read(tmp_path: Path, part: str,
                                                                             filler: bytes):
    """Not only the sheets and the shared strings: a part openpyxl reads whole (and holds as a tree) that
    expands more than 100 times, past 4 MiB, is refused before a byte of it is read."""
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(1), "甲", "2019"]])
    bomb = _rebuilt(path, "bomb.xlsx", _swollen(part, filler))
    assert bomb.stat().st_size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as refused:
            read(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == "file.xlsx_expands" and f"{part} of the workbook expands" in refused.value.message
    assert peak < 3_000_000


def _moved(old: str, new: str, target: bytes, moved_target: bytes):
    """A change that stores part ``old`` as ``new``, its relationship's target and content type following."""
    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name == old:
            return new, data
        if name.endswith(".rels") or name == "[Content_Types].xml":
            data = data.replace(target, moved_target).replace(f"/{old}".encode(), f"/{new}".encode())
        return name, data
    return change


def test_a_sheet_or_shared_strings_stored_under_another_name_are_bounded_all_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """openpyxl finds a workbook's parts by their relationships, not their names: a worksheet stored as
    ``xl/data/sheet1.xml`` has its cells watched, shared strings stored as ``xl/strs.xml`` are bounded."""
    rows = [[code(1), "甲", "2019"], [code(2), "HUGE", "2019"]]
    sheet = _moved("xl/worksheets/sheet1.xml", "xl/data/sheet1.xml", b"", b"")
    long = swell_inline_string(write_xlsx(tmp_path / "long.xlsx", HEADER, rows), "HUGE", 200_000)
    with pytest.raises(InputFileError) as refused:
        read(_rebuilt(long, "long-moved.xlsx", sheet))
    assert refused.value.code == "file.xlsx_cell" and "xl/data/sheet1.xml" in refused.value.message
    monkeypatch.setattr(xlsx, "XLSX_PART_BYTES", 1 << 20)  # (the real floor, 64 MiB, takes a large file)
    bomb = swell_inline_string(write_xlsx(tmp_path / "bomb.xlsx", HEADER, rows), "HUGE", 3_000_000)
    with pytest.raises(InputFileError) as refused:
        read(_rebuilt(bomb, "bomb-moved.xlsx", sheet))
    assert refused.value.code == "file.xlsx_expands" and "xl/data/sheet1.xml of the workbook" in refused.value.message
    strings = swell_shared_string(write_xlsx(tmp_path / "strings.xlsx", HEADER, rows), "HUGE", 3_000_000)
    moved = _rebuilt(strings, "strings-moved.xlsx",
                     _moved("xl/sharedStrings.xml", "xl/strs.xml", b'Target="sharedStrings.xml"', b'Target="strs.xml"'))
    with pytest.raises(InputFileError) as refused:
        read(moved)
    assert refused.value.code == "file.xlsx_expands" and "xl/strs.xml of the workbook" in refused.value.message


def test_a_row_whose_last_cell_is_in_column_xfd_is_read_as_wide_as_the_header(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    """A row written out to column XFD (16,384 cells) is not padded to it: it is read as wide as the header,
    and a value past the header is the row's problem (``record.ragged``, naming its column) — an empty cell
    there is none."""
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(i), "甲", "2019"] for i in range(300)])

    def wide(name: str, data: bytes) -> tuple[str, bytes]:
        if name != "xl/worksheets/sheet1.xml":
            return name, data
        text = data.decode()
        for n in range(2, 302):
            cell = f'<c r="XFD{n}" t="inlineStr"><is><t>{"多余" if n == 7 else " "}</t></is></c>'
            at = text.index("</row>", text.index(f'<row r="{n}">'))
            text = text[:at] + cell + text[at:]
        return name, text.encode()

    wide_path = _rebuilt(path, "wide.xlsx", wide)
    cell_text, cells_read = xlsx._cell_text, [0]

    def counted(value: object) -> str:
        cells_read[0] += 1
        return cell_text(value)

    monkeypatch.setattr(xlsx, "_cell_text", counted)
    _, rows, issues = read(wide_path)
    assert cells_read[0] < 2 * 301 * 3  # (not 16,384 a row)
    assert len(rows) == 300 and all(len(cells) == 3 for _, cells in rows) and rows[0][1] == [code(0), "甲", "2019"]
    assert issues == {7: "record.ragged"}
    with readers.open_table(str(wide_path)) as table:
        chunk = next(table.chunks)
    assert "column XFD, past the header's last column (C)" in chunk.issues[5][1] and chunk.issues[5][2] == "多余"


def test_the_sheets_not_read_are_named_up_to_twenty_and_counted(tmp_path: Path):
    """A workbook of 2,000 sheets: the table names the first and 20 others, and says how many there are."""
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(1), "甲", "2019"]])
    ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"

    def many(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/workbook.xml":
            sheets = "".join(f'<sheet {ns} name="S{n}" sheetId="{n + 2}" r:id="rS{n}"/>' for n in range(1999))
            return name, data.replace(b"</sheets>", sheets.encode() + b"</sheets>")
        if name == "xl/_rels/workbook.xml.rels":
            rels = "".join(f'<Relationship Type="{kind}" Target="/xl/worksheets/sheet1.xml" Id="rS{n}"/>'
                           for n in range(1999))
            return name, data.replace(b"</Relationships>", rels.encode() + b"</Relationships>")
        return name, data

    with readers.open_table(str(_rebuilt(path, "many.xlsx", many))) as table:
        assert table.sheets == ("Sheet", *(f"S{n}" for n in range(20))) and table.sheet_count == 2000
        assert sum(chunk.size for chunk in table.chunks) == 1


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml",
                                  "xl/_rels/workbook.xml.rels", "[Content_Types].xml"])
def test_a_part_that_declares_a_document_type_is_refused(tmp_path: Path, part: str):
    """No part of a workbook has a DTD: one that declares one (and with it entities) is refused before the
    part is parsed, naming the part."""
    path = write_xlsx(tmp_path / "f.xlsx", HEADER, [[code(1), "甲", "2019"]])

    def declared(name: str, data: bytes) -> tuple[str, bytes]:
        if name != part:
            return name, data
        if name.endswith("sheet1.xml"):
            data = data.replace(b"<t>\xe7\x94\xb2</t>", b"<t>&e;&e;</t>")
        return name, b'<!DOCTYPE x [<!ENTITY e "\xe4\xb9\x99\xe4\xb9\x99">]>' + data

    with pytest.raises(InputFileError) as refused:
        read(_rebuilt(path, "dtd.xlsx", declared))
    assert refused.value.code == "file.format"
    assert f"{part} of the workbook declares a document type" in refused.value.message


def test_a_header_named_far_right_is_refused_before_its_rows_are_read(tmp_path: Path):
    """A header that names a column past IV (256) would have every row read as wide: a name in column XFD
    (written there, or a title merged down into the header row) refuses the sheet."""
    import openpyxl

    for name in ("named", "merged"):
        path = tmp_path / f"{name}.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["名单" if name == "named" else None])  # (merged: the title is in XFD1 alone)
        sheet.append(HEADER)
        for n in range(1, 5):
            sheet.append([code(n), "甲", "2019"])
        if name == "named":
            sheet["XFD2"] = "备注"
        else:
            sheet["XFD1"] = "注"
            sheet.merge_cells("XFD1:XFD4")
        book.save(path)
        with pytest.raises(InputFileError) as refused:
            read(path)
        assert refused.value.code == "file.xlsx_columns"
        assert "(row 2) names a column as far right as XFD, past column IV" in refused.value.message
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active["XFD1"] = "备注"
    book.save(tmp_path / "column.xlsx")
    with pytest.raises(InputFileError) as refused:
        list(readers.read_column(str(tmp_path / "column.xlsx"), "企业名称"))
    assert refused.value.code == "file.xlsx_columns" and "(row 1)" in refused.value.message


def test_characters_excel_writes_escaped_are_read_as_they_are(tmp_path: Path):
    """Excel writes a line break in a cell as ``_x000D_`` (ECMA-376 ST_Xstring) and a text ``_x000D_`` typed in a
    cell as ``_x005F_x000D_``: each is read as the user sees it."""
    rows = [[code(1), "甲ESC1", "2019"], [code(2), "ESC2", "2019"], [code(3), "丙ESC3", "2019"]]
    written = write_xlsx(tmp_path / "f.xlsx", HEADER, rows)
    escapes = {b"ESC1": b"_x000D_", b"ESC2": b"a_x005F_x000D_b", b"ESC3": b"_x0009__xD83D__x0000_"}

    def escaped(part: str, data: bytes) -> tuple[str, bytes]:
        for mark, escape in escapes.items():
            data = data.replace(mark, escape)
        return part, data

    _, got, issues = read(_rebuilt(written, "escaped.xlsx", escaped))
    names = [cells[1] for _, cells in got]
    assert names == ["甲\r", "a_x000D_b", "丙\t_xD83D__x0000_"], (names, issues)  # (no NUL: no text holds one)
    assert xlsx.unescaped("_x4E2D__x56FD_") == "中国"
