"""The one form organization names are compared in: what it tolerates, and that search keys and
identity authentication both use it (no second normalizer left to drift)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.library import names, search
from jjjcredit.core.sharing import verify

REGISTERED = "北京(某某)科技股份有限公司"
#: Ways people write the registered name: bracket styles, full width, spaces, company forms.
SAME = ["北京[某某]科技股份有限公司", "北京（某某）科技股份有限公司", "北京【某某】科技股份有限公司",
        "北京〔某某〕科技股份有限公司", "北京「某某」科技股份有限公司", "北京［某某］科技股份有限公司",
        "北京 (某某) 科技 股份有限公司", "北京\u3000(某某)科技股份有限公司", "北京(某某)科技股份公司",
        "北京(某某)科技股份有限公司 "]
#: Names that are another organization's.
OTHER = ["北京某某科技股份有限公司", "北京(某某)科技有限公司", "北京(某某)科技股份有限公司分公司",
         "(某某)科技股份有限公司", "北京(某某)科技股份有限公司(北京)"]


@pytest.mark.parametrize("written", SAME)
def test_every_way_of_writing_the_name_is_the_name(written: str):
    assert names.normalize(written) == names.normalize(REGISTERED)
    assert names.same(written, REGISTERED) and names.same(REGISTERED, written)


@pytest.mark.parametrize("written", OTHER)
def test_another_name_stays_another_name(written: str):
    assert not names.same(written, REGISTERED)


def test_company_forms_and_letters():
    assert names.normalize("石家庄某某机械有限责任公司") == "石家庄某某机械有限公司"
    assert names.normalize("ｂｅｉｊｉｎｇ abc 有限公司") == "BEIJINGABC有限公司"


def test_search_and_verify_hold_no_normalizer_of_their_own():
    assert search.name_key is names.normalize
    assert not [n for n in vars(verify) if "normal" in n.lower() or n in ("same_name", "_FORMS", "_SPACES")]


PIECES = ["北京", "某某", "科技", "有限责任公司", "股份有限公司", "有限公司", "公司", "(", ")", "（", "）", "[", "]",
          "［", "］", "【", "】", "〔", "〕", "「", "」", " ", "\u3000", "ａｂ", "AB", "1", "１"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join))
def test_normalizing_twice_changes_nothing(name: str):
    assert names.normalize(names.normalize(name)) == names.normalize(name)
