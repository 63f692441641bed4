"""The entry points (services/tabular/readers.py): files that are not what they say, and the two ways an
XLSX is read (whole rows, one column) alike."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Sequence
from pathlib import Path

import pytest

from jjjcredit.core.library import transforms
from jjjcredit.services.tabular import readers
from jjjcredit.services.tabular.files import InputFileError
from tests.services.record_files import code, write_xlsx
from tests.services.tabular.table_rows import HEADER, read


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
        readers.open_table(str(path))
    assert info.value.code == code_
    assert str(path) in info.value.message


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(InputFileError) as info:
        readers.open_table(str(tmp_path / "nope.csv"))
    assert info.value.code == "file.not_found"
    with pytest.raises(InputFileError) as info:
        readers.open_table(str(tmp_path))
    assert info.value.code == "file.is_directory"


CELLS = [datetime.datetime(2019, 3, 5), datetime.date(2019, 3, 6), datetime.datetime(2019, 3, 7, 8, 30),
         500.0, 12.5, 12, True, "2019-03-08", None]


def test_both_xlsx_entry_points_read_a_cell_alike_and_a_date_as_the_platform_writes_dates(tmp_path: Path):
    """``open_table`` (records check, ingest) and ``read_column`` (codes check) read XLSX with the one
    reader: the same text for every cell, a date as ``YYYYMMDD`` that the date transform takes."""
    path = write_xlsx(tmp_path / "f.xlsx", ["统一社会信用代码", "值"], [[code(i), v] for i, v in enumerate(CELLS)])
    _, got, _ = read(path)
    by_table = [cells[1] for _, cells in got]
    by_column = [c.value for c in readers.read_column(str(path), "值")]
    assert by_column == by_table
    assert by_table == ["20190305", "20190306", "20190307 08:30:00", "500", "12.5", "12", "true", "2019-03-08", ""]
    assert [c.row for c in readers.read_column(str(path), "值")] == list(range(2, 2 + len(CELLS)))
    assert [transforms.date(v) for v in by_table[:3]] == ["20190305", "20190306", "20190307"]


def test_a_csv_named_xlsx(tmp_path: Path):
    path = tmp_path / "f.xlsx"
    path.write_text(",".join(HEADER), "utf-8")
    with pytest.raises(InputFileError) as info:
        readers.open_table(str(path))
    assert info.value.code == "file.xlsx_damaged"




@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_header_below_a_filing_line_of_two_cells_is_found_by_the_names_it_gives(tmp_path: Path, suffix: str):
    """A 填报单位 / 填报日期 line of two cells above the column names is no header when the reader says it names no
    field; when no later row names two, it stays the header and every row after it is read, numbered as written."""
    filing = ["填报单位：某某局", "填报日期：2026-03-01", "单位：万元"]
    rows = [[code(1), "甲", "2019"], [code(2), "乙", "2019", "", "多余"], [code(3), "丙", "2019"]]
    path = tmp_path / f"f{suffix}"
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["2026年行政处罚信息"], filing, HEADER, *rows])
    else:
        import openpyxl

        book = openpyxl.Workbook()
        for row in (["2026年行政处罚信息"], filing, HEADER, *rows):
            book.active.append(row)
        book.save(path)

    def names(row: Sequence[str]) -> int:
        return sum(cell in HEADER for cell in row)

    with readers.open_table(str(path), header_names=names) as table:
        assert (table.header_row, table.header[:3]) == (3, HEADER)
        chunk = next(table.chunks)
        assert (chunk.first_row, chunk.size, chunk.columns[1][2]) == (4, 3, "丙")
    with readers.open_table(str(path), header_names=lambda row: 0) as table:  # no row names a field
        assert table.header_row == 2 and table.header[0] == "填报单位：某某局"
        chunk = next(table.chunks)
        assert (chunk.first_row, chunk.size, list(chunk.columns[0])[:2]) == (3, 4, ["统一社会信用代码", code(1)])
        assert chunk.issues[2][0] == "record.ragged"  # the row's value past the header's columns, said as before
