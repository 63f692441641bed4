from __future__ import annotations

import datetime
import random

from jjjcredit.core.codes import uscc
from jjjcredit.core.library import quality

TODAY = datetime.date(2026, 1, 1)
CODE = uscc.generate(random.Random(1), "9", "1", "130102")


def _record(**changes: str | None) -> dict[str, str | None]:
    full = CODE
    base: dict[str, str | None] = {
        "uscc": full, "name": "某某有限公司", "status": "1", "legal_rep": "张三", "address": "石家庄市某路1号",
        "established": "20200101", "last_updated": "20250101", "address_division": "130102",
    }
    return {**base, **changes}


def test_a_complete_record_passes_every_rule_that_applies():
    results = quality.evaluate(_record(), "9", TODAY)
    assert all(v in (True, None) for v in results.values()), results


def test_each_dimension_catches_its_problem():
    assert quality.evaluate(_record(legal_rep=None), "9", TODAY)["completeness.legal_rep"] is False
    assert quality.evaluate(_record(established="20260101", last_updated="20250101"), "9",
                            TODAY)["validity.dates"] is False
    assert quality.evaluate(_record(address_division="110105"), "9", TODAY)["consistency.region"] is False
    assert quality.evaluate(_record(), "5", TODAY)["consistency.department"] is False
    assert quality.evaluate(_record(last_updated="20200101"), "9", TODAY)["timeliness.last_updated"] is False
    assert quality.evaluate(_record(last_updated="20200101", status="4"), "9",
                            TODAY)["timeliness.last_updated"] is None


def test_rule_codes_are_unique_and_named_by_dimension():
    codes = [r.code for r in quality.RULES]
    assert len(codes) == len(set(codes))
    assert all(r.code.startswith(r.dimension + ".") for r in quality.RULES)
