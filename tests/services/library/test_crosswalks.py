from __future__ import annotations

from pathlib import Path

import pytest

from jjjcredit.core.library import crosswalks as core_crosswalks
from jjjcredit.core.library import elements, transforms
from jjjcredit.core.library.crosswalks import CrosswalkError
from jjjcredit.services.library import crosswalks


@pytest.mark.parametrize("source", core_crosswalks.source_ids())
def test_every_packaged_crosswalk_loads_and_maps_only_known_elements(source):
    cw = crosswalks.load(source)
    assert cw.source == source
    assert {c.element for c in cw.columns} <= set(elements.BY_NAME)
    assert all(c.transform is None or c.transform in transforms.TRANSFORMS for c in cw.columns)
    mapped = {c.element for c in cw.columns}
    assert {"uscc", "name"} <= mapped, "every department layout holds the code and the name"


def test_the_departments_write_different_headers():
    layouts = {s: frozenset(c.header for c in crosswalks.load(s).columns) for s in core_crosswalks.source_ids()}
    assert len(set(layouts.values())) == 18
    names = {next(c.header for c in crosswalks.load(s).columns if c.element == "name")
             for s in core_crosswalks.source_ids()}
    assert len(names) >= 10


def test_sources_lists_standard_and_the_eighteen():
    assert crosswalks.sources()[0] == "standard"
    assert len(crosswalks.sources()) == 19
    assert crosswalks.load("standard") is core_crosswalks.standard()


def test_a_deployment_directory_overrides_one_file(tmp_path: Path):
    (tmp_path / "hebei-trade-unions.yaml").write_text(
        "source: hebei/trade-unions\ntitle: 本地\ncolumns:\n  工会全称: name\n  代码: uscc\n", "utf-8")
    assert crosswalks.load("hebei/trade-unions", tmp_path).title == "本地"
    assert crosswalks.load("hebei/civil-affairs", tmp_path) == crosswalks.load("hebei/civil-affairs")


def test_an_override_naming_another_source_is_refused(tmp_path: Path):
    (tmp_path / "hebei-trade-unions.yaml").write_text(
        "source: beijing/trade-unions\ncolumns:\n  名称: name\n", "utf-8")
    with pytest.raises(CrosswalkError) as info:
        crosswalks.load("hebei/trade-unions", tmp_path)
    assert info.value.code == "crosswalk.source"


def test_an_override_with_an_unknown_element_is_refused(tmp_path: Path):
    (tmp_path / "hebei-trade-unions.yaml").write_text(
        "source: hebei/trade-unions\ncolumns:\n  名称: name\n  会员数: members\n", "utf-8")
    with pytest.raises(CrosswalkError) as info:
        crosswalks.load("hebei/trade-unions", tmp_path)
    assert info.value.code == "crosswalk.unknown_element"
    assert "members" in info.value.message and str(tmp_path) in info.value.message


def test_unknown_source_and_missing_directory(tmp_path: Path):
    with pytest.raises(CrosswalkError) as info:
        crosswalks.load("hebei/tax")
    assert info.value.code == "crosswalk.source"
    with pytest.raises(CrosswalkError) as info:
        crosswalks.load("hebei/trade-unions", tmp_path / "missing")
    assert info.value.code == "crosswalk.directory"
