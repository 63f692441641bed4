from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import Engine

from jjjcredit.core.codes import regions
from jjjcredit.services import db
from jjjcredit.services.library import library, quality
from tests.services.library import library_files as files


def test_scorecard_per_provider_and_region_with_worst_offenders(engine: Engine, tmp_path: Path):
    db.upgrade(engine)
    market = files.codes(30)
    library.ingest_file(engine, str(files.organizations(tmp_path / "a.csv", market, date="2025-06-01")),
                        "hebei/market-regulation")
    stale = files.write(tmp_path / "b.csv", [[c, "同名社团", "存续", "2015-01-01", ""]
                                             for c in files.codes(3, seed=8, department="5")])
    library.ingest_file(engine, str(stale), "hebei/civil-affairs")
    with engine.connect() as conn:
        card = quality.scorecard(conn, today=datetime.date(2026, 1, 1))
    civil = card["by_source"]["hebei/civil-affairs"]
    assert civil["records"] == 3
    assert civil["rules"]["completeness.legal_rep"]["share_passing"] == 0.0
    assert civil["rules"]["uniqueness.name"]["failed"] == 3
    assert civil["worst"][0]["failed"]
    assert card["by_source"]["hebei/market-regulation"]["rules"]["completeness.name"]["share_passing"] == 1.0
    assert card["by_region"]["hebei"]["records"] == 33
    page = quality.markdown(card)
    assert "| hebei/civil-affairs | 3 |" in page


def test_the_regions_are_those_of_the_one_region_table():
    assert {r.prefix: r.id for r in regions.REGIONS.values()} == quality.REGION_NAMES
