"""Search keys: what the library stores equals what the definitions say, and scoring from the stored
keys equals scoring from the name."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.library import search

#: Pieces names are made of: regions (short and long), words, company forms, brackets, spaces,
#: letters, digits, full-width forms and signs.
PIECES = ["河北省", "石家庄市", "石家庄", "北京", "北京市", "大兴区", "长安区", "天津", "保定", "某某", "华鑫",
          "机械", "制造", "科技", "有限责任公司", "股份有限公司", "有限公司", "分公司", "合作社", "（", "）", "[", "]",
          "【", "】", " ", "ＡＢ", "ab", "X", "12", "３", "-", "_", "·", "第十四中学", "é", "²"]
NAMES = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(NAMES)
def test_stored_keys_follow_their_definitions(name: str):
    entry = search.index_entry("91130102MA0000000X", name)
    key = search.name_key(name)
    core = search.core_key(name)
    assert entry.keys["name_key"] == key and entry.keys["core_key"] == core
    assert entry.keys["initials"] == search.initials(name)
    assert entry.keys["core_initials"] == search.initials(core)
    assert set(entry.keys["grams"].split()) == set(entry.grams) == search.grams(core)
    # the pinyin of the name after its first region: with one region or none, the name without its region
    full, local = entry.keys["pinyin"], entry.keys["local_pinyin"]
    assert full == search.pinyin(name) and full.endswith(local) and local.endswith(search.pinyin(core))
    if len(search.split_regions(name)[0]) < 2:
        assert local == search.pinyin(core)
    assert search.keys(name) == search.Keys(key, core, entry.keys["initials"], entry.keys["core_initials"],
                                            entry.keys["pinyin"], entry.keys["local_pinyin"])


@settings(max_examples=300, deadline=None)
@given(NAMES, NAMES)
def test_scoring_the_stored_keys_is_scoring_the_name(name: str, typed: str):
    q = search.query(typed)
    assert search.score_keys(q, "91130102MA0000000X", search.keys(name)) == search.score(q, "91130102MA0000000X", name)


def test_full_pinyin_and_former_names_score():
    assert search.pinyin("北京市大兴区第十四中学") == "BEIJINGSHIDAXINGQUDISHISIZHONGXUE"
    school = search.keys("北京市大兴区第十四中学")
    assert school.local_pinyin == "DAXINGQUDISHISIZHONGXUE"
    assert search.score_keys(search.query("daxing"), "X", school)[1] == "pinyin"
    assert search.score_keys(search.query("dishisi"), "X", search.keys("北京第十四中学"))[1] == "pinyin"
    assert search.score_keys(search.query("beijingshidaxingqudishisizhongxue"), "X", school) == (0.84, "pinyin")
    renamed = search.keys("保定新名科技有限公司")
    formers = [search.former("石家庄某某机械有限责任公司")]
    assert search.score_keys(search.query("石家庄某某机械有限公司"), "X", renamed, formers) == (0.9, "former_name")
    assert search.score_keys(search.query("某某机械有限公司"), "X", renamed, formers) == (0.88, "former_name")
    assert search.score_keys(search.query("某某机械"), "X", renamed, formers)[1] == "former_name"
    assert search.score_keys(search.query("某某机械"), "X", renamed) == (0.0, "fuzzy")
    # the current name, answering as well, wins over a former one
    assert search.score_keys(search.query("保定新名科技有限公司"), "X", renamed, formers) == (1.0, "exact")


def test_region_names_are_split_longest_first():
    assert search.split_regions("河北省石家庄市长安区某某机械有限公司") == (("河北", "石家庄", "长安"),
                                                                        "某某机械有限公司")
    assert search.split_regions("石家庄市") == ((), "石家庄市")  # nothing would be left
    assert search.split_regions("某某石家庄机械") == ((), "某某石家庄机械")


def test_pairs_leave_out_signs_and_the_company_form():
    pairs = search.grams(search.name_key("北京·某某（中国）科技_有限公司"))
    assert pairs == {"北京", "京某", "某某", "某中", "中国", "国科", "科技"}
    assert search.grams("某") == {"某"} and search.grams("有限公司") == {"有限"}  # the shorter form goes


def test_splitting_regions_is_linear_in_the_length_of_the_name():
    """500,000 region names in a row (8 MB of query) were a quadratic 29 s; linear, they take well under one."""
    start = time.process_time()
    regions, rest = search.split_regions("天津" * 500_000)
    assert len(regions) == 499_998 and rest == "天津天津"
    assert time.process_time() - start < 5
