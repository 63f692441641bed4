"""Search on both databases: exact, prefix, fuzzy, without the region, initials, code prefix,
filters, autocomplete — and the keys (with their pair counts) kept in step by the library, by the
refresh in parts or in bulk, by reindex and by the migrations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy import text as sql

from jjjcredit.services import db
from jjjcredit.services.library import library, search
from jjjcredit.storage import migrator
from jjjcredit.storage.schema import (
    batches,
    include_object,
    metadata,
    organization_search,
    organization_search_gram_counts,
)
from tests.services.library import library_files as files

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


def _keys_and_counts(engine: Engine) -> tuple[list[tuple[str, ...]], dict[str, int]]:
    """Every stored key row (pairs as a sorted string), and the pair counts — checked against the keys."""
    with engine.connect() as conn:
        rows = [(*row[:5], " ".join(sorted(row[5].split())))
                for row in conn.execute(select(organization_search).order_by(organization_search.c.uscc))]
        counts = dict(conn.execute(select(organization_search_gram_counts.c.gram,
                                          organization_search_gram_counts.c.holders)).all())
    assert counts == Counter(gram for row in rows for gram in row[5].split())
    return rows, counts


def test_ordering_is_stable_and_ties_break_by_name_key_then_code(lib):
    engine, _ = lib
    found = _find(engine, "廊坊某某1", limit=100)
    assert found == sorted(found, key=lambda f: (-f[2], len(search.keys.name_key(f[1])), search.keys.name_key(f[1]),
                                                 f[0]))
    # Pinned: the same answer on SQLite and on PostgreSQL.
    assert [f[1] for f in found[:3]] == ["廊坊某某1商贸有限公司", "廊坊某某10商贸有限公司", "廊坊某某11商贸有限公司"]


def test_prefix_candidates_are_the_first_in_key_order(lib, monkeypatch):
    engine, _ = lib
    monkeypatch.setattr(search, "CANDIDATES", 5)
    with engine.connect() as conn:
        done = [h.name for h in search.autocomplete(conn, "廊坊某某", limit=10)]
    # Code-point order: "0" < "1" < "商", so 廊坊某某10… comes before 廊坊某某1商…; then shortest first.
    assert done == [f"廊坊某某{n}商贸有限公司" for n in (0, 10, 11, 12, 13)]


def test_like_signs_in_a_query_are_taken_literally(lib):
    engine, _ = lib
    for text in ("廊坊%", "廊坊_", "唐山钢铁%"):
        assert [f for f in _find(engine, text, limit=100) if f[3] == "prefix"] == [], text
    assert _find(engine, "唐山\x00钢铁") == _find(engine, "唐山钢铁")  # a NUL, which PostgreSQL refuses


def _index_definitions(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.execute(sql("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'organization_search'"))
        else:
            found = conn.execute(sql("SELECT indexname, indexdef FROM pg_indexes "
                                      "WHERE tablename = 'organization_search' AND schemaname = current_schema()"))
        return sorted((str(name), str(definition)) for name, definition in found)


def test_a_bulk_refresh_builds_what_the_refresh_in_parts_builds(lib, monkeypatch):
    engine, codes = lib
    queries = ["唐山", "廊坊某某1", "tsgt", codes[1][:8], "石家庄某某机城制造有限公司", "华北电力设备有限公司"]
    before = _keys_and_counts(engine), [_find(engine, q, limit=100) for q in queries], _index_definitions(engine)
    assert len(before[2]) >= 5  # the key indexes and the primary key (and the GIN index on PostgreSQL)
    monkeypatch.setattr(search, "BULK_REFRESH", 1)
    # SQLite drops the key indexes and builds them again; PostgreSQL builds a new table and swaps it in.
    assert search.reindex(engine).indexed == len(codes)
    after = _keys_and_counts(engine), [_find(engine, q, limit=100) for q in queries], _index_definitions(engine)
    assert after == before
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        assert compare_metadata(context, metadata) == []


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
    _keys_and_counts(engine)


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
    counts = _keys_and_counts(engine)[1]
    assert "钢铁" in counts and counts.get("新钢") == 1 and "集团" not in counts  # 唐山钢铁集团 is gone


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
        # the tables as they were at 0005 (the schema module has moved on since)
        conn.execute(sql("INSERT INTO organizations (uscc, name, source, batch_id, seq, created_at, updated_at) "
                         "VALUES ('91130102MA0000000X', '沧州某某化工有限公司', 's', 'b', 1, :now, :now)"),
                     {"now": now})
        conn.execute(sql("INSERT INTO changes (seq, uscc, kind, source, batch_id, recorded_at) "
                         "VALUES (1, '91130102MA0000000X', 'created', 's', 'b', :now)"), {"now": now})
    db.upgrade(engine)
    assert _find(engine, "沧州某某化工")[0][0] == "91130102MA0000000X"
    assert _find(engine, "沧州某某化二")[0][0] == "91130102MA0000000X"


def test_former_names_and_full_pinyin_find_organizations(lib, tmp_path: Path):
    engine, codes = lib
    renamed = files.write(tmp_path / "b.csv", [[codes[3], "唐山新钢有限公司", "存续", "2024-06-30", "张三"]])
    library.ingest_file(engine, str(renamed), "hebei/market-regulation")
    assert _find(engine, "唐山钢铁集团有限公司")[0][::3] == (codes[3], "former_name")
    assert _find(engine, "唐山钢铁集团有限责任公司")[0][::3] == (codes[3], "former_name")
    assert _find(engine, "钢铁集团有限公司")[0][::3] == (codes[3], "former_name")  # without the region
    assert (codes[3], "former_name") in [f[::3] for f in _find(engine, "唐山钢铁集")]
    assert _find(engine, "唐山新钢有限公司")[0][::3] == (codes[3], "exact")  # the current name comes first
    # full pinyin, of the whole name and of the name after its region; any case
    assert _find(engine, "tangshanxingang")[0][::3] == (codes[3], "pinyin")
    assert _find(engine, "XinGang")[0][::3] == (codes[3], "pinyin")
    assert {f[0] for f in _find(engine, "baoding")} == {codes[2]}
    with engine.connect() as conn:
        assert [h.code for h in search.autocomplete(conn, "tangshangangtie")] == [codes[4]]
        assert codes[3] in [h.code for h in search.autocomplete(conn, "唐山钢铁集")]


def test_daxing_finds_what_lies_in_daxing(engine: Engine, tmp_path: Path):
    db.upgrade(engine)
    codes = files.codes(3, seed=12)
    names = ["北京市大兴区第十四中学", "北京大兴某某机械有限公司", "北京市海淀区第十四中学"]
    rows = [[c, n, "存续", "2024-01-01", "张三"] for c, n in zip(codes, names, strict=True)]
    library.ingest_file(engine, str(files.write(tmp_path / "a.csv", rows)), "hebei/market-regulation")
    found = _find(engine, "daxing")
    assert {f[0] for f in found} == set(codes[:2]) and {f[3] for f in found} == {"pinyin"}
    assert {f[0] for f in _find(engine, "beijingshi")} == {codes[0], codes[2]}


def test_migration_0011_gives_an_existing_library_pinyin_and_former_names(engine: Engine, tmp_path: Path):
    db.upgrade(engine)
    codes = files.codes(2, seed=13)
    first = files.write(tmp_path / "a.csv", [[codes[0], "沧州某某化工有限公司", "存续", "2024-01-01", "张三"],
                                             [codes[1], "沧州大化有限公司", "存续", "2024-01-01", "张三"]])
    library.ingest_file(engine, str(first), "hebei/market-regulation", refresh_search=False)
    second = files.write(tmp_path / "b.csv", [[codes[0], "沧州新名有限公司", "存续", "2024-06-30", "张三"]])
    library.ingest_file(engine, str(second), "hebei/market-regulation", refresh_search=False)
    migrator.downgrade(engine, "0010")
    with engine.begin() as conn:  # the keys as 0010 kept them, up to date with the feed
        for code, name in ((codes[0], "沧州新名有限公司"), (codes[1], "沧州大化有限公司")):
            entry = search.keys.index_entry(code, name).keys
            conn.execute(sql("INSERT INTO organization_search (uscc, name_key, core_key, initials, core_initials, "
                             "grams) VALUES (:uscc, :name_key, :core_key, :initials, :core_initials, :grams)"),
                         {k: entry[k] for k in ("uscc", "name_key", "core_key", "initials", "core_initials", "grams")})
        conn.execute(sql("UPDATE counters SET value = (SELECT value FROM counters WHERE name = 'feed') "
                         "WHERE name = 'search'"))
    db.upgrade(engine)
    assert _find(engine, "沧州某某化工有限公司")[0][::3] == (codes[0], "former_name")
    assert _find(engine, "cangzhoudahua")[0][::3] == (codes[1], "pinyin")
    assert _find(engine, "沧州大化有限公司")[0][::3] == (codes[1], "exact")
