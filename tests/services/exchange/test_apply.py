"""What an import writes (services/exchange/apply.py), on both databases: a package that creates some
organizations and changes others, each changed one in other columns, gives every column its value, history
only for the columns that differ, one feed entry per organization in the package's order, and the batch's
counts; a credit record version newer than the one held replaces it, which is kept as a version."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jjjcredit.core.credit import records as rules
from jjjcredit.core.exchange import rows_bulk
from jjjcredit.services import db
from jjjcredit.services.exchange import apply
from jjjcredit.storage.schema import (
    batches,
    changes,
    credit_record_versions,
    credit_records,
    history,
    organizations,
)
from tests.services.credit import credit_files
from tests.services.library import library_files

CODES = library_files.codes(5, seed=23)
COLUMNS = ("uscc", "name", "last_updated", "status", "legal_rep", "telephone")


def org(code: str, name: str, day: str = "20240101", status: str | None = "1", rep: str | None = "张三",
        phone: str | None = None) -> dict[str, str | None]:
    return {"uscc": code, "name": name, "last_updated": day, "status": status, "legal_rep": rep, "telephone": phone}


def apply_package(engine: Engine, found: list[dict[str, str | None]], batch: str,
                  columns: tuple[str, ...] = COLUMNS, by_column: bool | str = False, **options: Any) -> dict[str, int]:
    """``by_column``: the rows as the fast reader holds them (core/exchange/rows_bulk.Rows) — as lists, or
    (``"arrays"``) as the pyarrow arrays it reads, which new organizations are COPY-ed from on PostgreSQL."""
    import pyarrow as pa

    held: Any = found
    if by_column == "arrays":
        held = rows_bulk.Rows(columns, arrays=[pa.array([r.get(c) for r in found], pa.string()) for c in columns])
    elif by_column:
        held = rows_bulk.Rows(columns, [[r.get(c) for r in found] for c in columns])
    with engine.begin() as conn:
        return apply.apply_organizations(conn, held, columns, "hebei", batch, f"{batch}.package", "0" * 64,
                                         **options)


@pytest.fixture
def node(engine: Engine) -> Engine:
    db.upgrade(engine)
    with engine.begin() as conn:
        credit_files.publish(conn, 2026)
    return engine


@pytest.mark.parametrize("by_column", [False, True, "arrays"])
def test_a_package_that_creates_some_and_changes_others_in_other_columns(node: Engine, by_column: bool | str):
    first = [org(CODES[0], "甲公司"), org(CODES[1], "乙公司", phone="0311-1"), org(CODES[2], "丙公司")]
    assert apply_package(node, first, "B1", by_column=by_column) == {"created": 3, "updated": 0, "unchanged": 0}
    second = [org(CODES[3], "丁公司", day="20240301"),  # new
              org(CODES[0], "甲新公司"),  # the name only
              org(CODES[1], "乙公司", day="20240201", rep=None, phone="0311-2"),  # date, representative, phone
              org(CODES[2], "丙公司"),  # the same
              org(CODES[4], "戊公司", status=None)]  # new
    assert apply_package(node, second, "B2", by_column=by_column) == {"created": 2, "updated": 2, "unchanged": 1}
    with node.connect() as conn:
        held = {r["uscc"]: r for r in conn.execute(select(organizations)).mappings()}
        feed = [tuple(r) for r in conn.execute(select(changes.c.seq, changes.c.uscc, changes.c.kind,
                                                      changes.c.batch_id, changes.c.effective).order_by(changes.c.seq))]
        written = [tuple(r) for r in conn.execute(select(history).order_by(history.c.seq, history.c.element))]
        counted = {r.id: (r.rows, r.created, r.updated, r.unchanged, r.first_seq, r.last_seq, r.source)
                   for r in conn.execute(select(batches))}
    assert feed == [(1, CODES[0], "created", "B1", "20240101"), (2, CODES[1], "created", "B1", "20240101"),
                    (3, CODES[2], "created", "B1", "20240101"), (4, CODES[3], "created", "B2", "20240301"),
                    (5, CODES[0], "changed", "B2", "20240101"), (6, CODES[1], "changed", "B2", "20240201"),
                    (7, CODES[4], "created", "B2", "20240101")]
    assert written == [(5, "name", CODES[0], "甲公司", "甲新公司"),
                       (6, "last_updated", CODES[1], "20240101", "20240201"),
                       (6, "legal_rep", CODES[1], "张三", None),
                       (6, "telephone", CODES[1], "0311-1", "0311-2")]
    assert counted == {"B1": (3, 3, 0, 0, 1, 3, "exchange/hebei"), "B2": (5, 2, 2, 1, 4, 7, "exchange/hebei")}
    assert {(r["source"], r["fingerprint"]) for r in held.values()} == {("exchange/hebei", None)}
    assert all(r["authority_region"] == code[2:8] for code, r in held.items())
    values = {code: (r["name"], r["last_updated"], r["status"], r["legal_rep"], r["telephone"], r["seq"],
                     r["created_seq"], r["batch_id"], r["effective"]) for code, r in held.items()}
    assert values == {CODES[0]: ("甲新公司", "20240101", "1", "张三", None, 5, 1, "B2", "20240101"),
                      CODES[1]: ("乙公司", "20240201", "1", None, "0311-2", 6, 2, "B2", "20240201"),
                      CODES[2]: ("丙公司", "20240101", "1", "张三", None, 3, 3, "B1", "20240101"),
                      CODES[3]: ("丁公司", "20240301", "1", "张三", None, 4, 4, "B2", "20240301"),
                      CODES[4]: ("戊公司", "20240101", None, "张三", None, 7, 7, "B2", "20240101")}


def test_a_change_keeps_the_later_effective_date_and_the_columns_the_package_has_not(node: Engine):
    apply_package(node, [org(CODES[0], "甲公司", day="20240601", phone="0311-1")], "B1")
    narrow = ("uscc", "name", "last_updated")  # a package of an audience that sees no telephone
    apply_package(node, [{"uscc": CODES[0], "name": "甲新公司", "last_updated": "20240101"}], "B2", narrow)
    with node.connect() as conn:
        row = conn.execute(select(organizations)).mappings().one()
        feed = conn.execute(select(changes.c.kind, changes.c.effective).order_by(changes.c.seq)).all()
    assert (row["name"], row["last_updated"], row["telephone"], row["effective"], row["seq"]) == (
        "甲新公司", "20240101", "0311-1", "20240601", 2)
    assert [tuple(r) for r in feed] == [("created", "20240601"), ("changed", "20240101")]


def test_the_same_package_again_changes_nothing(node: Engine):
    found = [org(code, f"公司{i}") for i, code in enumerate(CODES)]
    apply_package(node, found, "B1")
    assert apply_package(node, found, "B2") == {"created": 0, "updated": 0, "unchanged": 5}
    with node.connect() as conn:
        assert conn.execute(select(batches.c.first_seq, batches.c.last_seq).where(batches.c.id == "B2")).one() == (
            None, None)


def rid(record: str, item: str = credit_files.PENALTY) -> str:
    """The id of this test's record ``record``: the hash of its item, provider and document number."""
    return rules.record_id(item, "provider", f"doc-{record}")


def version(record: str, number: int, subject: str, item: str = credit_files.PENALTY,
            **values: Any) -> dict[str, str | None]:
    body = {"CF_XZXDR_MC": f"主体{subject}", **values}
    return {"id": rid(record, item), "version": str(number), "subject_key": f"key-{subject}", "item": item,
            "provider": "provider", "document_number": f"doc-{record}", "subject_type": "legal_person",
            "subject_name": f"主体{subject}", "subject_code": CODES[0], "status": "in_force", "severity": None,
            "decided_on": "2026-01-01", "valid_until": None, "values": json.dumps(body, ensure_ascii=False),
            "received": "2026-01-02T00:00:00Z", "at": f"2026-01-0{1 + number}T08:30:00.123456Z",
            "revoked_on": None, "reason": None, "action": "created" if number == 1 else "updated"}


def utc(moment: datetime.datetime) -> str:
    """A time as read back (aware on PostgreSQL, naive UTC on SQLite) in UTC, to the microsecond."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment.isoformat()


def test_credit_versions_replace_and_keep_and_follow_their_subject(node: Engine):
    apply_package(node, [org(CODES[0], "甲公司")], "B0")
    with node.begin() as conn:
        assert apply.apply_credit(conn, [version("r1", 1, "a"), version("r2", 1, "a")], "C1", []) == {
            "created": 2, "updated": 0, "withdrawn": 0, "unchanged": 0, "refused": 0}
    with node.begin() as conn:  # r1 again, r1's second version under another subject, r2's third then second
        assert apply.apply_credit(conn, [version("r1", 1, "a"), version("r1", 2, "b", note="二"),
                                         version("r2", 3, "a"), version("r2", 2, "a")], "C2", []) == {
            "created": 0, "updated": 3, "withdrawn": 0, "unchanged": 1, "refused": 0}
    with node.connect() as conn:
        current = {r.id: (r.subject_key, r.version, r.batch_id, r.unknown_organization, utc(r.updated_at))
                   for r in conn.execute(select(credit_records))}
        kept = sorted((r.record_id, r.version, r.subject_key, utc(r.at))
                      for r in conn.execute(select(credit_record_versions)))
    assert current == {rid("r1"): ("key-b", 2, "C2", 0, "2026-01-03T08:30:00.123456"),
                       rid("r2"): ("key-a", 3, "C2", 0, "2026-01-04T08:30:00.123456")}
    assert kept == sorted([(rid("r1"), 1, "key-b", "2026-01-02T08:30:00.123456"),
                           (rid("r2"), 1, "key-a", "2026-01-02T08:30:00.123456"),
                           (rid("r2"), 2, "key-a", "2026-01-03T08:30:00.123456")])


def test_values_copy_cannot_take_as_text_are_written_as_they_are(node: Engine):
    odd = ['甲\\公司', '乙"公司",\t有限', "丙\x1f公司"]  # a backslash; quotes, a comma and a tab; COPY's separator
    apply_package(node, [org(CODES[0], odd[0]), org(CODES[1], "乙公司", phone="")], "B1")
    apply_package(node, [org(CODES[0], odd[1], phone=""), org(CODES[1], odd[2]), org(CODES[2], odd[2])], "B2")
    with node.connect() as conn:
        held = {r.uscc: (r.name, r.telephone) for r in conn.execute(select(organizations))}
        written = [tuple(r) for r in conn.execute(select(history.c.element, history.c.old_value, history.c.new_value)
                                                  .order_by(history.c.seq, history.c.element))]
    assert held == {CODES[0]: (odd[1], ""), CODES[1]: (odd[2], None), CODES[2]: (odd[2], None)}
    assert written == [("name", odd[0], odd[1]), ("telephone", None, ""), ("name", "乙公司", odd[2]),
                       ("telephone", "", None)]


def test_what_kept_says_is_left_as_held_and_counted_apart(node: Engine):
    apply_package(node, [org(CODES[0], "甲公司"), org(CODES[1], "乙公司")], "B1")
    with node.begin() as conn:  # the first as if this node's own department had registered it
        conn.execute(organizations.update().where(organizations.c.uscc == CODES[0]).values(source="hebei/market"))
    asked: list[tuple[str | None, str]] = []

    def kept(region: str | None, source: str) -> bool:
        asked.append((region, source))
        return not source.startswith("exchange/")

    counts = apply_package(node, [org(CODES[0], "甲新公司"), org(CODES[1], "乙新公司"), org(CODES[2], "丙公司")],
                           "B2", by_column=True, kept=kept)
    assert counts == {"created": 1, "updated": 1, "unchanged": 0, "kept_own": 1}
    assert sorted(s for _, s in asked) == ["exchange/hebei", "hebei/market"]
    assert sorted(r for r, _ in asked) == sorted(c[2:8] for c in CODES[:2])
    with node.connect() as conn:
        names = dict(conn.execute(select(organizations.c.uscc, organizations.c.name)).all())
        assert names == {CODES[0]: "甲公司", CODES[1]: "乙新公司", CODES[2]: "丙公司"}
        assert conn.execute(select(batches.c.rows).where(batches.c.id == "B2")).scalar_one() == 2


def test_the_planner_learns_of_a_library_grown_from_empty(node: Engine):
    """PostgreSQL: statistics taken anew once the table at least doubled (autovacuum may be off or behind),
    so the next package's look-up searches the index rather than scanning a table thought empty."""
    codes = library_files.codes(3000, seed=29)
    counts = apply_package(node, [org(c, f"公司{i}") for i, c in enumerate(codes)], "B1", by_column=True)
    assert counts["created"] == 3000
    if node.dialect.name == "postgresql":
        with node.connect() as conn:
            tuples = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'organizations'::regclass")
            assert tuples.scalar_one() >= 3000


def test_a_withdrawal_holds_the_lock_of_its_records_provider_and_item(node: Engine):
    """A withdrawal names only its record; the import takes the lock a batch of the record's provider and
    item takes (PostgreSQL; SQLite has one writer), so no batch of that pair writes the record meanwhile."""
    apply_package(node, [org(CODES[0], "甲公司")], "B0")
    with node.begin() as conn:
        apply.apply_credit(conn, [version("r1", 1, "a")], "C1", [])
    withdrawal: dict[str, str | None] = {"id": rid("r1"), "version": "2", "action": "withdrawn", "status": "revoked",
                                         "at": "2026-01-05T08:30:00Z"}
    with node.begin() as conn:
        assert apply.apply_credit(conn, [withdrawal], "C2", [])["withdrawn"] == 1
        if node.dialect.name == "postgresql":
            with node.connect() as other:
                taken = other.exec_driver_sql("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 3041))",
                                              (f"provider\x1f{credit_files.PENALTY}",)).scalar_one()
                other.rollback()
            assert taken is False
    with node.connect() as conn:
        assert conn.execute(select(credit_records.c.status, credit_records.c.version)).one() == ("revoked", 2)


def test_every_version_of_a_record_new_here_under_an_item_never_had_is_refused_and_listed(node: Engine):
    apply_package(node, [org(CODES[0], "甲公司")], "B0")
    withdrawal: dict[str, str | None] = {"id": rid("r2", "JJJ-99-001"), "version": "3", "action": "withdrawn",
                                         "status": "revoked", "at": "2026-01-05T08:30:00Z"}
    other = [version("r2", 1, "a", "JJJ-99-001"), version("r2", 2, "a", "JJJ-99-001"), withdrawal]
    refused: list[dict[str, Any]] = []
    with node.begin() as conn:
        counts = apply.apply_credit(conn, [version("r1", 1, "a"), *other], "C1", [], refused,
                                    datetime.date(2026, 6, 1))
    assert counts == {"created": 1, "updated": 0, "withdrawn": 0, "unchanged": 0, "refused": 3}
    assert [(r["row"], r["id"], r["version"], r["code"]) for r in refused] == [
        (2, rid("r2", "JJJ-99-001"), 1, "credit.unknown_item"), (3, rid("r2", "JJJ-99-001"), 2, "credit.unknown_item"),
        (4, rid("r2", "JJJ-99-001"), 3, "credit.unknown_item")]
    with node.connect() as conn:
        assert conn.execute(select(credit_records.c.id)).scalars().all() == [rid("r1")]


def test_with_no_catalogue_published_the_package_is_refused_whole(engine: Engine):
    db.upgrade(engine)
    problems: list[dict[str, Any]] = []
    with engine.begin() as conn:
        counts = apply.apply_credit(conn, [version("r1", 1, "a")], "C1", problems, [], datetime.date(2026, 6, 1))
    assert set(counts.values()) == {0} and [p["code"] for p in problems] == ["credit.no_catalogue"]
    with engine.connect() as conn:
        assert conn.execute(select(credit_records.c.id)).all() == []


def test_a_record_new_here_whose_later_version_names_another_item_is_refused_whole(node: Engine):
    """A record's id is the hash of its item, provider and document number: a later version under the same id
    naming another item (one this node never had, or any other) is not the record, and a first version does
    not carry it into the records — the record is refused whole, each version listed with why."""
    apply_package(node, [org(CODES[0], "甲公司")], "B0")
    switched = [version("r3", 1, "a"), {**version("r3", 2, "a"), "item": "JJJ-99-001"}]
    refused: list[dict[str, Any]] = []
    with node.begin() as conn:
        counts = apply.apply_credit(conn, [version("r1", 1, "a"), *switched], "C1", [], refused,
                                    datetime.date(2026, 6, 1))
    assert (counts["created"], counts["refused"]) == (1, 2)
    assert [(r["id"], r["version"], r["code"], r["field"]) for r in refused] == [
        (rid("r3"), 1, "exchange.record_id", "id"), (rid("r3"), 2, "exchange.record_id", "id")]
    assert all('"JJJ-99-001"' in r["message"] and '"doc-r3"' in r["message"] for r in refused[1:])
    with node.connect() as conn:
        assert conn.execute(select(credit_records.c.id)).scalars().all() == [rid("r1")]
        assert conn.execute(select(credit_record_versions.c.record_id)).scalars().all() == []


@pytest.mark.parametrize("change", ["item", "provider", "document_number"])
def test_a_later_version_of_a_record_held_here_cannot_change_its_item_provider_or_number(node: Engine, change: str):
    """A peer's later version of a record held here under the record's id but naming another item (provider,
    document number) is refused, with every version of the record in the package: the record stays as held,
    under its item. A respelled document number (the same as identities compare it) is the same record."""
    apply_package(node, [org(CODES[0], "甲公司")], "B0")
    with node.begin() as conn:
        apply.apply_credit(conn, [version("r1", 1, "a")], "C1", [])
    other = {"item": credit_files.LICENCE, "provider": "other provider", "document_number": "doc-r9"}[change]
    moved = [{**version("r1", 2, "a", note="二"), change: other}, version("r1", 3, "a", note="三")]
    refused: list[dict[str, Any]] = []
    with node.begin() as conn:
        counts = apply.apply_credit(conn, [*moved, {**version("r2", 1, "a"), "document_number": "ＤＯＣ- r2"}],
                                    "C2", [], refused, datetime.date(2026, 6, 1))
    assert (counts["created"], counts["updated"], counts["refused"]) == (1, 0, 2)
    assert [(r["version"], r["code"]) for r in refused] == [(2, "exchange.record_id"), (3, "exchange.record_id")]
    with node.connect() as conn:
        held = conn.execute(select(credit_records.c.id, credit_records.c.item, credit_records.c.version)
                            .order_by(credit_records.c.version)).all()
    assert sorted(held) == sorted([(rid("r1"), credit_files.PENALTY, 1), (rid("r2"), credit_files.PENALTY, 1)])


def test_a_version_that_disagrees_with_the_record_held_under_its_id_is_refused(node: Engine):
    """A record held here whose item is not the one its id names (kept before ids were checked) takes no
    version naming another item, even one whose id is that item's: it is listed, the record stays as held."""
    apply_package(node, [org(CODES[0], "甲公司")], "B0")
    with node.begin() as conn:
        apply.apply_credit(conn, [version("r1", 1, "a")], "C1", [])
        conn.execute(credit_records.update().values(item=credit_files.LICENCE))  # as an unchecked peer left it
    refused: list[dict[str, Any]] = []
    with node.begin() as conn:
        counts = apply.apply_credit(conn, [version("r1", 2, "a", note="二")], "C2", [], refused,
                                    datetime.date(2026, 6, 1))
    assert counts["refused"] == 1 and counts["updated"] == 0
    assert [(r["code"], r["field"]) for r in refused] == [("exchange.record_moved", "item")]
    assert all(s in refused[0]["message"] for s in (credit_files.PENALTY, credit_files.LICENCE))
    with node.connect() as conn:
        assert conn.execute(select(credit_records.c.version)).scalar_one() == 1
