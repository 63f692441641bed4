"""Search on both databases: exact, prefix, fuzzy, without the region, initials, code prefix,
filters, autocomplete — and the keys kept in step by the library and by reindex and migration 0005."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert

from jjjcredit.services import db, library, search
from jjjcredit.storage import migrator
from jjjcredit.storage.schema import batches, changes, organization_search, organizations
from tests.services import library_files as files

NAMES = ["石家庄市某某机械制造有限公司", "石家庄某某机械配件有限公司", "保定（华北）电力设备有限责任公司",
         "唐山钢铁集团有限公司", "唐山钢铁贸易有限公司", "北京 宏图 科技股份有限公司"]


@pytest.fixture
def lib(engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, list[str]]]:
    db.upgrade(engine)
    codes = files.codes(len(NAMES) + 20, seed=7)
    rows = [[c, n, "存续", "2024-01-01", "张三"] for c, n in zip(codes, NAMES, strict=False)]
    rows += [[c, f"廊坊某某{i}商贸有限公司", "注销" if i % 2 else "存续", "2024-01-01", "李四"]
             for i, c in enumerate(codes[len(NAMES):])]
    library.ingest_file(engine, str(files.write(tmp_path / "a.csv", rows)), "hebei/market-regulation")
    yield engine, codes


def _find(engine: Engine, text: str, **kwargs: object) -> list[tuple[str, str, float, str]]:
    filters = search.Filters(**{k: v for k, v in kwargs.items() if k != "limit"})  # type: ignore[arg-type]
    limit = int(kwargs.get("limit", 20))  # type: ignore[call-overload]
    with engine.connect() as conn:
        return [(h.code, h.name, h.score, h.match) for h in search.search_organizations(conn, text, filters, limit)]


def test_exact_name_tolerates_brackets_spaces_and_company_forms(lib):
    engine, codes = lib
    for text in ("保定(华北)电力设备有限公司", "保定 [华北] 电力设备有限责任公司", "保定（华北）电力设备有限责任公司"):
        first = _find(engine, text)[0]
        assert (first[0], first[3], first[2]) == (codes[2], "exact", 1.0), text
    assert _find(engine, "北京宏图科技股份有限公司")[0][:2] == (codes[5], "北京 宏图 科技股份有限公司")


def test_missing_or_added_region_prefix(lib):
    engine, codes = lib
    assert _find(engine, "某某机械制造有限公司")[0][::3] == (codes[0], "exact_without_region")
    assert _find(engine, "河北省石家庄某某机械制造有限公司")[0][::3] == (codes[0], "exact_without_region")
    assert _find(engine, "华北电力设备有限公司")[0][::3] == (codes[2], "fuzzy")


def test_prefix_and_fuzzy(lib):
    engine, codes = lib
    found = _find(engine, "唐山钢铁")
    assert {f[0] for f in found[:2]} == {codes[3], codes[4]} and {f[3] for f in found[:2]} == {"prefix"}
    fuzzy = _find(engine, "石家庄某某机城制造有限公司")  # a typo
    assert fuzzy[0][0] == codes[0] and fuzzy[0][3] == "fuzzy"


def test_pinyin_initials_and_code_prefix(lib):
    engine, codes = lib
    assert _find(engine, "tsgt")[0][3] == "initials"
    assert {f[0] for f in _find(engine, "TSGT")[:2]} == {codes[3], codes[4]}
    assert _find(engine, "MMJXZZ")[0][0] == codes[0]  # initials without the region
    assert _find(engine, codes[1])[0][::3] == (codes[1], "code")
    assert codes[1] in [f[0] for f in _find(engine, codes[1][:10], limit=100)]


def test_filters(lib):
    engine, _ = lib
    everyone = _find(engine, "廊坊某某", limit=100)
    assert len(everyone) == 20
    closed = _find(engine, "廊坊某某", status="注销", limit=100)
    assert len(closed) == 10 and closed == _find(engine, "廊坊某某", status="4", limit=100)
    assert _find(engine, "廊坊某某", region="13", limit=100) == everyone  # authority region 130102
    assert _find(engine, "廊坊某某", region="110000") == []
    assert _find(engine, "廊坊某某", department="1") == []
    with pytest.raises(search.SearchError) as bad:
        _find(engine, "廊坊", status="open")
    assert (bad.value.code, bad.value.field) == ("search.bad_filter", "status")
    with pytest.raises(search.SearchError, match="Nothing to search for"):
        _find(engine, " （ ） ")


def test_autocomplete_only_completes(lib):
    engine, codes = lib
    with engine.connect() as conn:
        done = search.autocomplete(conn, "唐山钢")
        assert [h.code for h in done] == [codes[4], codes[3]]  # 贸 (U+8D38) before 集 (U+96C6)
        assert all(h.match != "fuzzy" for h in search.autocomplete(conn, "石家庄某某机城"))


def test_ordering_is_stable_and_ties_break_by_name_then_code(lib):
    engine, _ = lib
    found = _find(engine, "廊坊某某1", limit=100)
    assert found == sorted(found, key=lambda f: (-f[2], len(f[1]), f[1], f[0]))
    # Pinned: the same answer on SQLite and on PostgreSQL.
    assert [f[1] for f in found[:3]] == ["廊坊某某1商贸有限公司", "廊坊某某10商贸有限公司", "廊坊某某11商贸有限公司"]


def test_renames_reach_the_search_keys_and_reindex_rebuilds_them(lib, tmp_path: Path):
    engine, codes = lib
    renamed = files.write(tmp_path / "b.csv", [[codes[3], "唐山新钢有限公司", "存续", "2024-06-30", "张三"]])
    library.ingest_file(engine, str(renamed), "hebei/market-regulation")
    assert _find(engine, "唐山新钢有限公司")[0][::3] == (codes[3], "exact")
    assert codes[3] not in [f[0] for f in _find(engine, "唐山钢铁集团") if f[3] == "exact"]
    before = _find(engine, "唐山", limit=100)
    fuzzy = _find(engine, "石家庄某某机城制造有限公司")
    with engine.begin() as conn:
        conn.execute(delete(organization_search))
    assert _find(engine, "唐山") == []
    assert search.reindex(engine).indexed == len(codes)
    assert _find(engine, "唐山", limit=100) == before
    assert _find(engine, "石家庄某某机城制造有限公司") == fuzzy


def test_keys_follow_the_feed_only_when_refreshed(lib, tmp_path: Path):
    engine, codes = lib
    with engine.connect() as conn:
        assert search.lag(conn) == 0
    renamed = files.write(tmp_path / "b.csv", [[codes[3], "唐山新钢有限公司", "存续", "2024-06-30", "张三"],
                                               [codes[4], "唐山钢铁贸易有限公司", "注销", "2024-06-30", "张三"]])
    library.ingest_file(engine, str(renamed), "hebei/market-regulation", refresh_search=False)
    with engine.connect() as conn:
        assert search.lag(conn) == 2
    assert codes[3] not in [f[0] for f in _find(engine, "唐山新钢有限公司")]
    refreshed = search.refresh(engine)
    assert (refreshed.indexed, search.refresh(engine).indexed) == (1, 0)  # only the renamed one
    assert _find(engine, "唐山新钢有限公司")[0][::3] == (codes[3], "exact")


def test_a_region_named_in_the_query_ranks_that_region_first(engine: Engine, tmp_path: Path):
    db.upgrade(engine)
    codes = files.codes(3, seed=11)
    names = ["保定市第十四中学", "北京市大兴区第十四中学", "第十四中学"]
    rows = [[c, n, "存续", "2024-01-01", "张三"] for c, n in zip(codes, names, strict=True)]
    library.ingest_file(engine, str(files.write(tmp_path / "a.csv", rows)), "hebei/market-regulation")
    found = [f[1] for f in _find(engine, "大兴第十四中学")]
    assert found == ["北京市大兴区第十四中学", "第十四中学", "保定市第十四中学"]


def test_common_pairs_are_not_used_to_find_candidates(lib, monkeypatch):
    engine, codes = lib
    monkeypatch.setattr(search, "GRAM_POSTINGS", 5)  # 某某 is in 22 names, 廊坊 in 20: too common now
    found = _find(engine, "唐山钢铁集困有限公司")  # a typo: the telling pairs still find it
    assert found[0][::3] == (codes[3], "fuzzy")


def test_migration_0006_leaves_keys_that_db_upgrade_rebuilds(engine: Engine):
    migrator.upgrade(engine, "0005")
    now = library._now()
    with engine.begin() as conn:
        conn.execute(insert(batches).values(id="b", source="s", file_name="f", file_hash="h", status="committed",
                                            rows=1, created=1, updated=0, unchanged=0, rejected=0, warnings=0,
                                            conflicts=0, started_at=now, finished_at=now, seconds=0.0))
        conn.execute(insert(organizations).values(uscc="91130102MA0000000X", name="沧州某某化工有限公司",
                                                  source="s", batch_id="b", seq=1, created_at=now, updated_at=now))
        conn.execute(insert(changes).values(seq=1, uscc="91130102MA0000000X", kind="created", source="s",
                                            batch_id="b", recorded_at=library._now()))
    db.upgrade(engine)
    assert _find(engine, "沧州某某化工")[0][0] == "91130102MA0000000X"
    assert _find(engine, "沧州某某化二")[0][0] == "91130102MA0000000X"
