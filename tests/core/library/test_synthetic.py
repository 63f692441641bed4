"""Synthetic organizations: deterministic, valid by construction, realistic mixes, nobody's data."""

from __future__ import annotations

import collections
import datetime
import random

import pytest

from jjjcredit.core.codes import divisions, ric, uscc
from jjjcredit.core.errors import Verdict
from jjjcredit.core.library import synthetic

DEPARTMENTS = list(synthetic.DEPARTMENT_SHARES)


def _orgs(seed: int, region: str, department: str, count: int) -> list[synthetic.Organization]:
    codes = synthetic.CodeSpace.draw(random.Random(seed))
    return list(synthetic.organizations(random.Random(seed), codes, region, department, count))


@pytest.fixture(scope="module")
def every_department() -> list[synthetic.Organization]:
    orgs: list[synthetic.Organization] = []
    start = 0
    codes = synthetic.CodeSpace.draw(random.Random(11))
    for region in synthetic.REGIONS:
        for department in DEPARTMENTS:
            rng = random.Random(f"{region}/{department}")
            orgs += synthetic.organizations(rng, codes, region, department, 400, start)
            start += 400
    return orgs


@pytest.fixture(scope="module")
def market() -> list[synthetic.Organization]:
    return _orgs(5, "hebei", "market-regulation", 10_000)


def test_the_same_seed_gives_the_same_organizations():
    assert _orgs(3, "beijing", "civil-affairs", 200) == _orgs(3, "beijing", "civil-affairs", 200)
    assert _orgs(3, "beijing", "civil-affairs", 200) != _orgs(4, "beijing", "civil-affairs", 200)


def test_every_code_is_valid_and_unique(every_department):
    codes = [o.uscc for o in every_department]
    assert len(set(codes)) == len(codes)
    for org in every_department:
        assert uscc.check(org.uscc).verdict is Verdict.VALID, org.uscc
        assert org.uscc[0] == org.department and org.uscc[1] == org.category
        assert uscc.check(org.registering_department_code).verdict is Verdict.VALID
        if org.supervisor_code:
            assert uscc.check(org.supervisor_code).verdict is Verdict.VALID


def test_code_bodies_are_a_bijection_of_the_index():
    space = synthetic.CodeSpace.draw(random.Random(1))
    assert len({space.ma_body(i) for i in range(100_000)}) == 100_000
    assert len({space.digit_body(i) for i in range(100_000)}) == 100_000
    assert all(space.digit_body(i)[0] in "1234567" for i in range(1000))


def test_identity_numbers_pass_the_check_and_belong_to_nobody(every_department):
    for org in every_department:
        result = ric.check(org.legal_rep_id_number)
        assert not result.findings, (ric.mask(org.legal_rep_id_number), result.findings)
        # GB 11643 practice keeps 996-999 for centenarians; everyone here was born 1950-2000.
        assert org.legal_rep_id_number[14:17] in synthetic.SYNTHETIC_SEQUENCES
        born = ric.birth_date(org.legal_rep_id_number)
        assert born is not None and 1950 <= born.year <= 2000


def test_telephone_numbers_ring_nobody(every_department):
    for org in every_department:
        area, local = org.telephone.split("-")
        assert area.startswith("0") and local.startswith("0") and len(local) == 8


ENDINGS = {
    "91": ("公司", "合伙企业（有限合伙）", "（个人独资）"),
    "93": ("专业合作社", "专业合作社联合社"),
    "51": ("协会", "商会", "学会", "促进会", "联合会", "研究会"),
    "52": ("学校", "幼儿园", "养老院", "中心"),
    "53": ("基金会",),
    "31": ("律师事务所",), "32": ("公证处",), "33": ("法律服务所",), "34": ("司法鉴定所", "司法鉴定中心"),
    "35": ("仲裁委员会",), "39": ("人民调解委员会",),
    "11": ("局", "委员会", "人民政府", "办事处", "办公室"),
    "12": ("学", "院", "中心", "馆", "站"), "13": ("会",), "19": ("中心",),
    "71": ("寺", "庵", "观", "宫", "教堂"), "72": ("学院",), "79": ("协会",),
    "81": ("工会委员会", "总工会"), "89": ("工会联合会",),
}


def test_names_look_like_each_department_writes_them(every_department):
    shops = tuple(shop for shop, *_ in synthetic.words.SHOPS)
    for org in every_department:
        key = org.department + org.category
        if key == "92":
            assert org.name.endswith(shops) or org.name == org.legal_rep, org.name
        else:
            assert org.name.endswith(ENDINGS[key]), (key, org.name)
        assert 3 <= len(org.name) <= 60 or key == "92"


def test_enterprise_names_start_with_a_place_of_their_region(market):
    prefixes = {"河北", "石家庄", "唐山", "秦皇岛", "邯郸", "邢台", "保定", "张家口", "承德", "沧州", "廊坊", "衡水"}
    counties = {c.name for c in synthetic._region_tables("hebei").counties}
    counties |= {synthetic._short(c) for c in counties}
    enterprises = [o for o in market if o.category == "1" and not o.name.startswith(("冀", "（"))]
    placed = [o for o in enterprises
              if any(o.name.startswith(p) for p in prefixes | counties) or "（" in o.name[:6]]
    assert len(placed) / len(enterprises) > 0.97


def test_market_mix_and_status_shares(market):
    categories = collections.Counter(o.category for o in market)
    assert 0.61 < categories["2"] / len(market) < 0.69
    assert 0.29 < categories["1"] / len(market) < 0.37
    assert 0.01 < categories["3"] / len(market) < 0.03
    statuses = collections.Counter(o.status for o in market)
    share = {k: v / len(market) for k, v in statuses.items()}
    assert 0.83 < share["1"] < 0.87
    assert 0.065 < share["4"] < 0.095
    assert 0.03 < share["3"] < 0.05
    assert 0.02 < share["2"] + share["9"] < 0.04


def test_dates_are_in_order_and_in_range(every_department, market):
    first, last = synthetic.FIRST_DATE.toordinal(), synthetic.LAST_DATE.toordinal()
    for org in [*every_department, *market]:
        assert first <= org.established <= org.approved <= org.last_updated <= last
        if org.valid_to:
            assert org.valid_to > org.valid_from
    years = collections.Counter(datetime.date.fromordinal(o.established).year for o in market)
    assert sum(v for y, v in years.items() if y >= 2014) > sum(v for y, v in years.items() if y < 2014)


def test_addresses_are_in_real_current_divisions(every_department):
    for org in every_department:
        assert divisions.is_current(org.division)
        assert org.address.startswith(divisions.province_name(org.division) or "?")
        assert (divisions.latest_name(org.division) or "?") in org.address


def test_name_changes_give_an_earlier_row(market):
    changed = [o for o in market if o.former_name]
    assert 0.025 < len(changed) / len(market) < 0.05
    for org in changed:
        old = synthetic.before_change(org)
        assert old.name == org.former_name != org.name
        assert old.last_updated < org.renamed <= org.approved <= org.last_updated
        assert org.transaction_type == "02" and old.transaction_type == "01"


def test_registration_numbers_of_older_market_entities_pass_their_check(market):
    from jjjcredit.core.codes import regno

    older = [o for o in market if o.established < synthetic.CODE_REFORM]
    assert older
    for org in older:
        assert regno.is_valid(org.registration_number), org.registration_number
        assert org.registration_number.startswith(org.authority)
    newer = [o for o in market if o.established >= synthetic.CODE_REFORM]
    assert all(o.registration_number == o.uscc for o in newer)


def test_values_are_the_elements_forms(market):
    from jjjcredit.core.library import elements

    values = synthetic.values(market[0])
    assert set(values) == {e.name for e in elements.ELEMENTS}
    for org in market[:500]:
        v = synthetic.values(org)
        assert v["status"] in elements.STATUS and v["economic_type"] in elements.ECONOMIC_TYPE
        assert v["currency"] in elements.CURRENCY and v["transaction_type"] in elements.TRANSACTION
        assert elements.industry_section(v["industry"]) is not None
