"""The library on both databases: ingest, history, change feed, rejects, conflicts, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from jjjcredit.core.codes import ric
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.storage.schema import changes, include_object, metadata, organizations
from tests.services.library import library_files as files


@pytest.fixture
def lib(engine: Engine) -> Engine:
    db.upgrade(engine)
    return engine


def test_the_migrations_match_the_schema(lib: Engine):
    with lib.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_an_empty_database_is_refused_with_the_fix(engine: Engine, tmp_path: Path):
    path = files.organizations(tmp_path / "a.csv", files.codes(2))
    with pytest.raises(db.SchemaBehind, match="jjjcredit db upgrade"):
        library.ingest_file(engine, str(path), "hebei/market-regulation")


def test_ingest_counts_every_row_and_re_ingest_changes_nothing(lib: Engine, tmp_path: Path):
    good = files.codes(20)
    path = files.write(tmp_path / "a.csv", [[c, f"某某{i}有限公司", "存续", "2024-01-01", "张三"]
                                            for i, c in enumerate(good)]
                       + [["91130102MA00000000", "坏代码有限公司", "存续", "2024-01-01", "李四"]])
    first = library.ingest_file(lib, str(path), "hebei/market-regulation")
    assert (first.rows, first.created, first.rejected) == (21, 20, 1)
    assert first.rows == first.created + first.updated + first.unchanged + first.rejected
    again = library.ingest_file(lib, str(path), "hebei/market-regulation")
    assert again.already_ingested and again.batch == first.batch and "nothing changed" in again.note
    by_id = library.ingest_file(lib, str(path), "hebei/market-regulation", batch_id=first.batch)
    assert by_id.already_ingested
    with pytest.raises(library.LibraryError, match="choose a new batch id"):
        library.ingest_file(lib, str(files.organizations(tmp_path / "b.csv", good[:1])),
                            "hebei/market-regulation", batch_id=first.batch)
    with lib.connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == 20
        assert conn.execute(select(func.max(changes.c.seq))).scalar_one() == 20


def test_history_former_names_and_the_change_feed(lib: Engine, tmp_path: Path):
    some = files.codes(5)
    library.ingest_file(lib, str(files.organizations(tmp_path / "a.csv", some, date="2023-01-01")),
                        "hebei/market-regulation")
    renamed = files.organizations(tmp_path / "b.csv", some[:2], name="保定新名{i}科技有限公司", date="2024-06-30")
    summary = library.ingest_file(lib, str(renamed), "hebei/market-regulation")
    assert (summary.updated, summary.unchanged) == (2, 0)
    with lib.connect() as conn:
        names = library.former_names(conn, some[0])
        assert names[0]["name"] == "石家庄某某0机械制造有限公司" and names[0]["effective"] == "20240630"
        assert library.get_organization(conn, some[0])["name"] == "保定新名0科技有限公司"
        feed = library.changes_after(conn, 0, limit=100)
        seqs = [c["seq"] for c in feed]
        assert seqs == list(range(1, 8))
        assert [c["kind"] for c in feed[-2:]] == ["changed", "changed"]
        assert {e["element"] for e in feed[-1]["elements"]} >= {"name", "last_updated"}
        assert library.changes_after(conn, 5) == feed[5:]
        history = library.organization_history(conn, some[0])
        assert [h["kind"] for h in history] == ["created", "changed"]
        shown = library.show_organization(conn, some[0], library.get_organization(conn, some[0]))["organization"]
        assert shown["created_at"] == history[0]["recorded_at"] and shown["updated_at"] == history[1]["recorded_at"]
        assert shown["created_at"] < shown["updated_at"]


def test_a_stale_file_from_the_same_source_cannot_undo_a_newer_change(lib: Engine, tmp_path: Path):
    code = files.codes(1)
    library.ingest_file(lib, str(files.organizations(tmp_path / "new.csv", code, name="新名{i}", date="2024-06-30")),
                        "hebei/market-regulation")
    library.ingest_file(lib, str(files.organizations(tmp_path / "old.csv", code, name="旧名{i}", date="2020-01-01")),
                        "hebei/market-regulation")
    with lib.connect() as conn:
        assert library.get_organization(conn, code[0])["name"] == "新名0"


def test_the_registering_department_wins_and_the_disagreement_is_kept(lib: Engine, tmp_path: Path):
    code = files.codes(1)  # department 9: market regulation registers it
    civil = files.organizations(tmp_path / "civil.csv", code, name="民政写的{i}", date="2025-01-01")
    library.ingest_file(lib, str(civil), "hebei/civil-affairs")
    market = library.ingest_file(
        lib, str(files.organizations(tmp_path / "market.csv", code, name="市场监管写的{i}", date="2020-01-01")),
        "hebei/market-regulation")
    assert market.updated == 1 and market.conflicts >= 1
    later = library.ingest_file(
        lib, str(files.organizations(tmp_path / "civil2.csv", code, name="民政又写的{i}", date="2026-01-01")),
        "hebei/civil-affairs")
    assert later.unchanged == 1
    with lib.connect() as conn:
        assert library.get_organization(conn, code[0])["name"] == "市场监管写的0"
        found = library.organization_conflicts(conn, code[0])
    kept = [c for c in found if c["outcome"] == "kept" and c["element"] == "name"]
    assert kept and kept[0]["rule"] == "registering_department" and kept[0]["other_value"] == "民政又写的0"
    replaced = [c for c in found if c["outcome"] == "replaced" and c["element"] == "name"]
    assert replaced and replaced[0]["other_value"] == "民政写的0"


def test_between_other_departments_the_newest_effective_date_wins(lib: Engine, tmp_path: Path):
    code = files.codes(1)
    library.ingest_file(lib, str(files.organizations(tmp_path / "a.csv", code, name="甲{i}", date="2024-01-01")),
                        "beijing/civil-affairs")
    library.ingest_file(lib, str(files.organizations(tmp_path / "b.csv", code, name="乙{i}", date="2023-01-01")),
                        "tianjin/trade-unions")
    with lib.connect() as conn:
        assert library.get_organization(conn, code[0])["name"] == "甲0"


def test_rejected_rows_keep_reasons_and_original_values_with_personal_data_masked(lib: Engine, tmp_path: Path):
    body = "13010219800101123"
    number = body + ric.calc_check_char(body)
    header = [*files.HEADER, "法定代表人或负责人证件号码"]
    path = files.write(tmp_path / "a.csv", [
        [files.codes(1)[0], "好公司", "存续", "2024-01-01", "张三", number],
        ["91130102MA00000000", "坏公司", "存续", "2024-02-30", "李四", number],
    ], header)
    summary = library.ingest_file(lib, str(path), "hebei/market-regulation")
    with lib.connect() as conn:
        rows = list(library.batch_rejects(conn, summary.batch))
    assert [r["row"] for r in rows] == [3]
    codes_found = {p["code"] for p in rows[0]["problems"]}
    assert "record.date" in codes_found and any(c.startswith("uscc.") for c in codes_found)
    assert rows[0]["original"]["机构名称"] == "坏公司"
    assert number not in json.dumps(rows, ensure_ascii=False)
    with lib.connect() as conn, pytest.raises(library.LibraryError):
        list(library.batch_rejects(conn, "no-such-batch"))


def test_an_empty_cell_never_erases_a_value(lib: Engine, tmp_path: Path):
    code = files.codes(1)
    library.ingest_file(lib, str(files.organizations(tmp_path / "a.csv", code)), "hebei/market-regulation")
    path = files.write(tmp_path / "b.csv", [[code[0], "某某0有限公司", "", "2024-02-01", ""]])
    library.ingest_file(lib, str(path), "hebei/market-regulation")
    with lib.connect() as conn:
        org = library.get_organization(conn, code[0])
    assert org["legal_rep"] == "张三" and org["status"] == "1"


def test_each_value_knows_its_source_and_a_move_is_tracked_apart_from_the_code(lib: Engine, tmp_path: Path):
    code = files.codes(1)  # a Hebei (13) code
    library.ingest_file(lib, str(files.organizations(tmp_path / "a.csv", code, date="2023-01-01")),
                        "hebei/market-regulation")
    moved = files.write(tmp_path / "b.csv", [[code[0], "某某0有限公司", "存续", "2024-05-01", "张三",
                                              "北京市海淀区中关村大街1号", "110108"]],
                        [*files.HEADER, "注册地址", "注册地址行政区划代码"])
    library.ingest_file(lib, str(moved), "beijing/market-regulation")
    with lib.connect() as conn:
        org = library.get_organization(conn, code[0])
        sources = library.provenance(org, library.organization_history(conn, code[0]))
    assert org["uscc"][2:4] == "13" and org["authority_region"] == "110108"
    assert sources["address"]["source"] == "beijing/market-regulation"
    assert sources["legal_rep"]["source"] == "hebei/market-regulation"


def test_new_codes_planned_column_by_column_give_what_record_by_record_gives():
    """The two ways a new organization is planned (services/library/library.py: _create for codes the library
    lacks, _apply_records otherwise) write the same rows: values, effective date, authority region
    (a Hebei code sent by Beijing with a Beijing address), fingerprint, feed entry."""
    codes = files.codes(4)
    records = [
        {"uscc": codes[0], "name": "某某0有限公司", "established": "20150305", "last_updated": "20240630"},
        {"uscc": codes[1], "name": "某某1有限公司", "established": "20150305"},
        {"uscc": codes[2], "name": "某某2有限公司", "address_division": "110108", "approved": "20200101"},
        {"uscc": codes[3], "name": "某某3有限公司"},
    ]
    names = ("name", "established", "approved", "last_updated", "address_division")
    columns: dict[str, list[str | None]] = {n: [r.get(n) for r in records] for n in ("uscc", *names)}
    prints = library._fingerprints("beijing/market-regulation", columns, names)
    planned = []
    for plan in ("columns", "records"):
        batch = library._Batch("b1", "beijing/market-regulation", "1", "11", 100, "2026-11-22 00:00:00.000000",
                               library.IngestSummary(batch="b1", source="beijing/market-regulation", file="f"),
                               names)
        if plan == "columns":
            library._create(batch, library._Accepted(columns, prints))
        else:
            library._apply_records(None, batch, records, prints, {})  # type: ignore[arg-type]
        writes = library._package(batch)
        orgs = [dict(zip(p.columns, row, strict=True)) for p in writes.org_rows for row in p.rows]
        feed = [dict(zip(p.columns, row, strict=True)) for p in writes.change_rows for row in p.rows]
        planned.append((sorted(orgs, key=lambda r: r["uscc"]), sorted(feed, key=lambda r: r["seq"]), batch.seq))
    assert planned[0] == planned[1]
    orgs, feed, last = planned[0]
    assert last == 104 and [f["seq"] for f in feed] == [101, 102, 103, 104]
    by_code = {o["uscc"]: o for o in orgs}
    assert by_code[codes[2]]["authority_region"] == "110108" and by_code[codes[0]]["effective"] == "20240630"
    assert by_code[codes[3]]["effective"] is None and by_code[codes[1]]["effective"] == "20150305"


def test_a_library_from_before_the_narrow_feed_keeps_its_history_both_ways(engine: Engine):
    """Migration 0008 moves a feed row's source and time to its batch and finds an organization's
    "created" change by ``created_seq``; its downgrade puts them back."""
    from sqlalchemy import text

    from jjjcredit.storage import migrator

    migrator.upgrade(engine, "0007")
    code = files.codes(1)[0]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO batches (id, source, file_name, file_hash, status, rows, created, updated, "
                          "unchanged, rejected, warnings, conflicts, first_seq, last_seq, started_at, finished_at, "
                          "seconds) VALUES (:id, 's/x', 'f', :id, 'committed', 1, 1, 0, 0, 0, 0, 0, :seq, :seq, "
                          ":at, :at, 0)"), [{"id": "b1", "seq": 1, "at": "2024-01-01 00:00:00"},
                                            {"id": "b2", "seq": 2, "at": "2024-02-01 00:00:00"}])
        conn.execute(text("INSERT INTO organizations (uscc, name, source, batch_id, seq, created_at, updated_at) "
                          "VALUES (:c, '新名有限公司', 's/x', 'b2', 2, :at, :at)"), {"c": code, "at": "2024-02-01"})
        conn.execute(text("INSERT INTO changes (seq, uscc, kind, source, batch_id, effective, recorded_at) VALUES "
                          "(1, :c, 'created', 's/x', 'b1', '20240101', '2024-01-01 00:00:00'), "
                          "(2, :c, 'changed', 's/x', 'b2', '20240201', '2024-02-01 00:00:00')"), {"c": code})
        conn.execute(text("INSERT INTO history (seq, element, uscc, old_value, new_value) "
                          "VALUES (2, 'name', :c, '旧名有限公司', '新名有限公司')"), {"c": code})
    db.upgrade(engine)
    with engine.connect() as conn:
        events = library.organization_history(conn, code)
        assert [(e["seq"], e["kind"], e["source"], e["batch_id"]) for e in events] == [
            (1, "created", "s/x", "b1"), (2, "changed", "s/x", "b2")]
        assert [str(e["recorded_at"])[:10] for e in events] == ["2024-01-01", "2024-02-01"]
        assert library.former_names(conn, code)[0]["name"] == "旧名有限公司"
    migrator.downgrade(engine, "0007")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seq, source, batch_id FROM changes ORDER BY seq")).all() == [
            (1, "s/x", "b1"), (2, "s/x", "b2")]
        created, updated = conn.execute(text("SELECT created_at, updated_at FROM organizations")).one()
        assert (str(created)[:10], str(updated)[:10]) == ("2024-01-01", "2024-02-01")


@pytest.mark.parametrize("aside", [False, True], ids=["in-process", "read-aside"])
def test_a_line_over_the_limit_is_a_rejected_row_and_the_rest_is_ingested(lib: Engine, tmp_path: Path, aside: bool):
    good = files.codes(6)
    rows = [[c, f"某某{i}有限公司", "存续", "2024-01-01", "张三"] for i, c in enumerate(good)]
    rows[2][1] = "某某2号" + "第一分公司" * 8 + "有限公司"  # a fine name, the longest line (header included)
    path = files.write(tmp_path / "a.csv", rows)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    lines = path.read_bytes().splitlines()
    longest = len(lines[3])
    assert longest > max(len(line) for line in lines[:3] + lines[4:])
    reader = {"read_aside_bytes": 0 if aside else 1 << 30}
    summary = library.ingest_file(lib, str(path), "hebei/market-regulation", limits=Limits(line_bytes=longest - 1),
                                  **reader)
    assert (summary.rows, summary.created, summary.rejected) == (6, 5, 1)
    with lib.connect() as conn:
        assert set(conn.execute(select(organizations.c.uscc)).scalars()) == set(good) - {good[2]}
    alone = files.write(tmp_path / "b.csv", [rows[2]])
    alone.write_bytes(alone.read_bytes().replace(b"\r\n", b"\n"))
    again = library.ingest_file(lib, str(alone), "hebei/market-regulation", limits=Limits(line_bytes=longest),
                                **reader)
    assert (again.rows, again.created, again.rejected) == (1, 1, 0), "a line at the limit is read"
