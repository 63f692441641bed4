"""Encodings as the readers take them (services/tabular/decoding.py): detected, or by the majority of a
file's lines; rows in another encoding flagged; lines over the limit skipped as they are read; blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import decoding, readers, tables
from tests.services.record_files import code, write_csv
from tests.services.tabular.table_rows import HEADER, read


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


def test_rows_are_numbered_across_blocks_and_chunks(tmp_path: Path):
    rows = [[code(i), f"名称{i}" * 20, "2019-03-05"] for i in range(3000)]
    rows[1500][1] = "带,逗号"  # one quoted cell somewhere in the middle
    path = write_csv(tmp_path / "f.csv", HEADER, rows)
    original = decoding._BLOCK
    decoding._BLOCK = 4096  # many blocks: plain ones and one that needs the csv module
    try:
        _, got, issues = read(path, chunk_rows=97)
    finally:
        decoding._BLOCK = original
    assert [n for n, _ in got] == list(range(2, 3002))
    assert [r for _, r in got] == rows and issues == {}


def test_a_utf8_file_with_gb18030_rows(tmp_path: Path):
    good = (",".join(HEADER) + f"\n{code(1)},北京甲公司,2019\n").encode()
    bad = f"{code(2)},河北乙公司,2019\n".encode("gb18030")
    path = tmp_path / "f.csv"
    path.write_bytes(good + bad + f"{code(3)},天津丙公司,2019\n".encode())
    table, got, issues = read(path)
    assert table.encoding == "utf-8"
    assert issues == {3: "record.encoding"}
    assert [n for n, _ in got] == [2, 3, 4] and got[2][1][1] == "天津丙公司"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("block", [None, 64])
def test_a_file_cut_off_in_the_middle_of_a_character_says_its_last_line_is_cut_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, block: int | None):
    if block is not None:
        monkeypatch.setattr(decoding, "_BLOCK", block)
    whole = (",".join(HEADER) + "".join(f"\n{code(i)},北京甲公司{i},2019" for i in range(5)) + "\n"
             + f"{code(9)},北京乙公司").encode(encoding)
    path = tmp_path / "f.csv"
    path.write_bytes(whole[:-1])
    _, got, issues = read(path)
    assert issues == {7: "record.cut_off"} and len(got) == 6
    with readers.open_table(str(path)) as table:
        message = next(issue[1] for chunk in table.chunks for issue in chunk.issues.values())
    assert "cut off" in message and "re-save the whole file in one encoding" not in message


def test_a_gb18030_file_with_a_utf8_row(tmp_path: Path):
    head = (",".join(HEADER) + "\n").encode("gb18030")
    rows = [f"{code(i)},河北某某建筑工程有限公司{i},2019\n".encode("gb18030") for i in range(5)]
    rows[3] = f"{code(3)},河北某某建筑工程有限公司3,2019\n".encode()
    path = tmp_path / "f.csv"
    path.write_bytes(head + b"".join(rows))
    table, got, issues = read(path)
    assert table.encoding == "gb18030" and issues == {5: "record.encoding"}
    assert got[0][1][1] == "河北某某建筑工程有限公司0"


@pytest.mark.parametrize("chunk_rows", [2, tables.ROWS_PER_CHUNK])
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
    with readers.open_table(str(path), chunk_rows, limits) as table:
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




def test_utf32_text_and_binary_data_are_refused_by_what_they_are(tmp_path: Path):
    """A UTF-32 file (whose byte order mark starts like UTF-16's) is refused as UTF-32, not read as UTF-16 into a
    header of NUL characters; binary data is told what a file may be, whichever command reads it."""
    for encoding in ("utf-32", "utf-32-be"):
        path = tmp_path / f"{encoding}.csv"
        mark = "\ufeff" if encoding.endswith("be") else ""  # (Python's utf-32 writes its mark itself)
        path.write_bytes((mark + "企业名称,代码\n").encode(encoding))
        with pytest.raises(decoding.InputFileError) as refused:
            readers.open_table(str(path)).close()
        assert refused.value.code == "file.encoding" and "UTF-32" in refused.value.message, encoding
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"PK\x01\x02\x00\x00" * 100)
    with pytest.raises(decoding.InputFileError) as refused:
        readers.open_table(str(binary)).close()
    assert refused.value.code == "file.binary" and "JSON Lines, XML" in refused.value.message
