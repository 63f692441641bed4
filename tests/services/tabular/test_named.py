"""JSON Lines and XML files (services/tabular/named.py): records of named values, and lines or elements
that are not records."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import readers, tables
from jjjcredit.services.tabular.files import InputFileError
from tests.services.record_files import code, write_jsonl, write_xml
from tests.services.tabular.table_rows import HEADER, read


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
    with readers.open_table(str(path), tables.ROWS_PER_CHUNK, Limits()) as again:  # a line not read: its start
        shown = {chunk.first_row + i: issue[2] for chunk in again.chunks for i, issue in chunk.issues.items()}
    assert (shown[3], shown[4]) == ("{not json}", "[1, 2]")


def test_a_json_line_naming_a_field_twice_is_a_rejected_row_saying_which(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    path.write_text(f'{{"统一社会信用代码": "{code(1)}", "企业名称": "甲"}}\n'
                    f'{{"统一社会信用代码": "{code(2)}", "企业名称": "乙", "企业名称": "丙"}}\n', "utf-8")
    with readers.open_table(str(path)) as table:
        issues = {chunk.first_row + i: issue for chunk in table.chunks for i, issue in chunk.issues.items()}
    assert list(issues) == [2] and issues[2][0] == "record.shape"
    assert 'names the field "企业名称" twice' in issues[2][1]


def test_json_lines_cut_off_in_the_middle_of_a_character_say_the_last_line_is_cut_off(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    whole = "".join(f'{{"统一社会信用代码": "{code(n)}", "企业名称": "甲{n}"}}\n' for n in range(3)).encode()
    path.write_bytes(whole + f'{{"统一社会信用代码": "{code(4)}", "企业名称": "乙'.encode()[:-1])
    with readers.open_table(str(path)) as table:
        issues = {chunk.first_row + i: issue for chunk in table.chunks for i, issue in chunk.issues.items()}
    assert list(issues) == [4] and issues[4][0] == "record.cut_off" and "cut off" in issues[4][1]


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


def test_xml_records_two_levels_deep_are_refused_saying_which_element_holds_them(tmp_path: Path):
    path = tmp_path / "f.xml"
    rows = "".join(f"<record><统一社会信用代码>{code(n)}</统一社会信用代码><企业名称>甲{n}</企业名称></record>"
                   for n in range(3))
    path.write_text(f"<envelope><body><records>{rows}</records></body></envelope>", "utf-8")
    with pytest.raises(InputFileError) as info:
        read(path)
    assert info.value.code == "file.format" and "none of the first" not in info.value.message
    assert "envelope/body/records/record" in info.value.message
    assert "<records> as the root" in info.value.message


def test_xml_records_nested_very_deep_under_long_names_are_refused_in_a_short_message(tmp_path: Path):
    """However deep the envelope and however long its names, the refusal names the path in a few elements."""
    path = tmp_path / "f.xml"
    depth, long = 5_000, "a" * 5_000
    row = f"<record><统一社会信用代码>{code(1)}</统一社会信用代码></record>"
    path.write_text(f"<{long}>" + "<a>" * depth + row + "</a>" * depth + f"</{long}>", "utf-8")
    with pytest.raises(InputFileError) as info:
        read(path)
    assert info.value.code == "file.format" and len(info.value.message) < 1_000, len(info.value.message)
    assert "5,001 levels down" in info.value.message and "a/a/a/a" not in info.value.message


def test_a_json_array_given_as_json_lines_is_refused_saying_so(tmp_path: Path):
    records = [{"统一社会信用代码": code(n), "企业名称": f"甲{n}"} for n in range(3)]
    for text in (json.dumps(records, ensure_ascii=False), json.dumps(records, ensure_ascii=False, indent=2)):
        path = tmp_path / "f.jsonl"
        path.write_text(text, "utf-8")
        with pytest.raises(InputFileError) as info:
            read(path)
        assert info.value.code == "file.format"
        assert "this is a JSON array, not JSON Lines (one object a line)" in info.value.message


def test_json_lines_none_of_whose_lines_is_read_says_why_the_first_is_not(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    path.write_text(f'{{"统一社会信用代码": "{code(1)}", "注册资本": {"9" * 100_000}}}\n', "utf-8")
    with pytest.raises(InputFileError) as info:
        read(path)
    assert info.value.code == "file.format" and "a number too long to read" in info.value.message


def test_json_lines_or_xml_of_no_record_is_empty_unless_a_report_of_none_is_taken(tmp_path: Path):
    for file_name, content in (("f.jsonl", "\n\n"), ("f.xml", "<records>\n</records>")):
        path = tmp_path / file_name
        path.write_text(content, "utf-8")
        with pytest.raises(InputFileError) as info:
            read(path)
        assert info.value.code == "file.empty"
        with readers.open_table(str(path), none_ok=True) as table:
            assert table.no_records and table.header == [] and list(table.chunks) == []


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
        with readers.open_table(str(path), limits=limits) as table:
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


