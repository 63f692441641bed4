from __future__ import annotations

import pytest

from jjjcredit.core.library import crosswalks, elements, transforms
from jjjcredit.core.library.crosswalks import Column, Crosswalk, CrosswalkError

MINIMAL = "source: hebei/market-regulation\ntitle: t\ncolumns:\n  企业名称: name\n  统一社会信用代码: uscc\n"


def test_parse_reads_plain_and_detailed_columns():
    cw = crosswalks.parse(
        "source: hebei/market-regulation\ntitle: 河北\nencoding: gb18030\ncolumns:\n"
        "  统一社会信用代码: uscc\n  注册资本(万元): {element: registered_capital, transform: capital_wan}\n"
        "  登记状态: {element: status, transform: status_words, required: true}\n", "hebei.yaml")
    assert cw.source == "hebei/market-regulation"
    assert (cw.region, cw.department, cw.encoding, cw.title) == ("hebei", "market-regulation", "gb18030", "河北")
    assert cw.columns == (
        Column("统一社会信用代码", "uscc", None),
        Column("注册资本(万元)", "registered_capital", "capital_wan"),
        Column("登记状态", "status", "status_words", True),
    )
    assert cw.required == ("uscc", "name", "status")
    assert (cw.department_code, cw.region_prefix) == ("9", "13")


def test_headers_match_full_width_brackets_spaces_and_the_standard_names():
    cw = crosswalks.parse(MINIMAL + "  注册资本(万元): registered_capital\n", "x")
    assert cw.match(" 注册资本（万元）").element == "registered_capital"
    assert cw.match("企业 名称").element == "name"
    assert cw.match("成立日期").element == "established"
    assert cw.match("ESTABLISHED").element == "established"
    assert cw.match("不存在的列") is None


@pytest.mark.parametrize(("text", "code", "fragment"), [
    ("source: hebei/market-regulation\ncolumns:\n  名称: nmae\n", "crosswalk.unknown_element", 'did you mean "name"'),
    ("source: hebei/market-regulation\ncolumns:\n  日期: {element: established, transform: dat}\n",
     "crosswalk.unknown_transform", 'did you mean "date"'),
    ("source: hebei/market-regulaton\ncolumns:\n  名称: name\n", "crosswalk.source",
     'did you mean "hebei/market-regulation"'),
    ("source: hebei/Markets\ncolumns:\n  名称: name\n", "crosswalk.source", "market-regulation"),
    ("source: shanghai/market-regulation\ncolumns:\n  名称: name\n", "crosswalk.source", "beijing, tianjin, hebei"),
    ("columns:\n  名称: name\n", "crosswalk.shape", "has no source"),
    ("source: hebei/market-regulation\n", "crosswalk.shape", "columns must map"),
    ("source: hebei/market-regulation\ncolumns: [a, b]\n", "crosswalk.shape", "columns must map"),
    ("source: hebei/market-regulation\ncolumns:\n  名称: {element: name, transfrom: text}\n", "crosswalk.shape",
     "transfrom"),
    ("source: hebei/market-regulation\ncolumns:\n  名称: [name]\n", "crosswalk.shape", "must name an element"),
    ("source: hebei/market-regulation\nencoding: klingon\ncolumns:\n  名称: name\n", "crosswalk.shape", "klingon"),
    ("source: hebei/market-regulation\ncolumns:\n  名称: name\n  名 称: name\n", "crosswalk.shape", "written twice"),
    ("source: hebei/market-regulation\ncolumns:\n  名称: name\n   bad: [\n", "crosswalk.syntax", "line"),
    ("- just\n- a list\n", "crosswalk.shape", "expected a mapping"),
    ("source: hebei/market-regulation\nextra: 1\ncolumns:\n  名称: name\n", "crosswalk.shape", "extra"),
])
def test_bad_crosswalks_are_refused_with_a_located_message(text, code, fragment):
    with pytest.raises(CrosswalkError) as info:
        crosswalks.parse(text, "dept.yaml")
    assert info.value.code == code
    assert info.value.message.startswith("dept.yaml: ")
    assert fragment in info.value.message


def test_several_headers_may_map_to_one_element():
    cw = crosswalks.parse(MINIMAL + "  市场主体名称: name\n", "x")
    assert cw.match("市场主体名称").element == cw.match("企业名称").element == "name"


def test_standard_layout_has_one_column_per_element_in_element_order():
    std = crosswalks.standard()
    assert [c.element for c in std.columns] == list(elements.COLUMN_ORDER)
    assert [c.header for c in std.columns] == [e.zh for e in elements.ELEMENTS]
    assert std.source == "standard" and std.department_code is None and std.region_prefix is None
    assert std.required == ("uscc", "name")


def test_every_default_transform_exists_and_names_a_real_element():
    assert set(transforms.DEFAULTS) <= set(elements.BY_NAME)
    assert set(transforms.DEFAULTS.values()) <= set(transforms.TRANSFORMS)


def test_dump_then_parse_round_trips():
    cw = crosswalks.parse(MINIMAL + "  成立日期: {element: established, transform: date, required: true}\n", "x")
    again = crosswalks.parse(crosswalks.dump(cw), "x")
    assert again == cw
    assert isinstance(again, Crosswalk)


def test_source_ids_cover_three_regions_and_six_departments():
    ids = crosswalks.source_ids()
    assert len(ids) == len(set(ids)) == 18
    assert crosswalks.DEPARTMENTS["market-regulation"][0] == "9"
    assert {crosswalks.REGIONS[r][0] for r in crosswalks.REGIONS} == {"11", "12", "13"}


def test_a_starter_layout_maps_known_headers_with_their_transforms_and_parses():
    known = [crosswalks.parse(
        "source: hebei/market-regulation\ncolumns:\n"
        "  注册资本(元): {element: registered_capital, transform: capital_yuan}\n"
        "  登记状态: {element: status, transform: status_words}\n  企业名称: name\n", "hebei.yaml")]
    header = ["\ufeff统一社会信用代码", "企业名称", "注册资本（元）", "登记状态", "机构名称", "办学许可证号", ""]
    text = crosswalks.starter(header, "tianjin/education", "gb18030", "学校.csv", known)
    assert '"注册资本（元）": {element: registered_capital, transform: capital_yuan}' in text
    assert '"登记状态": status\n' in text  # status_words is the element's default transform
    assert '"企业名称": name' in text
    assert '# "机构名称": TODO  # name is mapped to an earlier column' in text
    assert '# "办学许可证号": TODO' in text and "required" not in text.split("columns:")[1]
    parsed = crosswalks.parse(text, "tianjin-education.yaml")
    assert (parsed.source, parsed.encoding, parsed.department_code, parsed.region_prefix) == (
        "tianjin/education", "gb18030", None, "12")
    assert [c.element for c in parsed.columns] == ["uscc", "name", "registered_capital", "status"]
