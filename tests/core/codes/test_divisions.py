from __future__ import annotations

from jjjcredit.core.codes import divisions


def test_history_of_renamed_and_abolished_codes():
    assert divisions.name_in("130182", 2010) == "藁城市"
    assert divisions.name_in("130182", 2020) is None
    assert divisions.name_in("130602", 2014) == "新市区"
    assert divisions.name_in("130602", 2016) == "竞秀区"


def test_local_entries_are_present_and_documented():
    assert divisions.is_known("100000") and divisions.is_known("133100")
    assert {p.source for p in divisions.periods("133100")} == {"local"}


def test_jjj_current_counts():
    current = [c for c in divisions.codes() if divisions.is_current(c)]
    beijing = [c for c in current if c.startswith("11") and c[4:] != "00"]
    assert len(beijing) == 16


def test_the_table_is_sorted_and_generated(tmp_path):
    from importlib import resources

    text = resources.files("jjjcredit.core").joinpath("data/divisions.csv").read_text("utf-8")
    codes = [line.split(",", 1)[0] for line in text.splitlines()[1:]]
    assert codes == sorted(codes)
