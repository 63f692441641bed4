from __future__ import annotations

import datetime
import json
import threading

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Engine, bindparam, inspect, text
from sqlalchemy.exc import IntegrityError

from jjjcredit.core.sharing import audit as chain
from jjjcredit.storage import migrator


def test_the_numbered_files_and_alembic_agree_on_the_newest_revision():
    config = Config()
    config.set_main_option("script_location", str(migrator.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == migrator.head()


def test_current_follows_upgrade(engine):
    assert migrator.current(engine) is None
    migrator.upgrade(engine)
    assert migrator.current(engine) == migrator.head()


def _feed_at_0008(engine: Engine) -> None:
    migrator.upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO batches (id, source, file_name, file_hash, status, rows, created, updated, "
                          "unchanged, rejected, warnings, conflicts, first_seq, last_seq, started_at, finished_at, "
                          "seconds) VALUES ('b1', 's/x', 'f', 'h', 'committed', 1, 1, 0, 0, 0, 0, 0, 1, 2, "
                          "'2024-01-01 00:00:00', '2024-01-01 00:00:00', 0)"))
        conn.execute(text("INSERT INTO changes (seq, uscc, kind, batch_id, effective) VALUES "
                          "(1, '91110000MA0000000X', 'created', 'b1', NULL), "
                          "(2, '91110000MA0000000X', 'changed', 'b1', '20240101')"))
        conn.execute(text("INSERT INTO history (seq, element, uscc, old_value, new_value) "
                          "VALUES (2, 'name', '91110000MA0000000X', 'a', 'b')"))


def _keys(engine: Engine, table: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        keys = inspect(conn).get_foreign_keys(table)
        return sorted((fk["referred_table"], fk["constrained_columns"][0]) for fk in keys)


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT c.seq, c.batch_id, h.element FROM changes c "
                                                    "LEFT JOIN history h ON h.seq = c.seq ORDER BY c.seq"))]


def test_the_feed_loses_its_row_by_row_batch_check_and_keeps_its_rows_both_ways(engine: Engine):
    """0009 drops the foreign key from ``changes`` to ``batches`` (SQLite rebuilds the table that
    ``history`` refers to); the downgrade brings it back; no row is lost either way."""
    _feed_at_0008(engine)
    before = _rows(engine)
    assert ("batches", "batch_id") in _keys(engine, "changes")
    migrator.upgrade(engine)
    assert _keys(engine, "changes") == [] and _keys(engine, "history") == [("changes", "seq")]
    assert _rows(engine) == before == [(1, "b1", None), (2, "b1", "name")]
    migrator.downgrade(engine, "0008")
    assert _keys(engine, "changes") == [("batches", "batch_id")] and _rows(engine) == before
    if engine.dialect.name == "sqlite":  # the foreign keys are on again for the connection that migrated
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_migration_leaving_a_row_that_points_nowhere_is_rolled_back(engine: Engine):
    """SQLite migrates with its foreign keys off, so it checks them before committing; PostgreSQL
    refuses such a row as it is written."""
    _feed_at_0008(engine)
    dangling = text("INSERT INTO history (seq, element, uscc, old_value, new_value) "
                    "VALUES (99, 'name', '91110000MA0000000X', 'a', 'b')")
    if engine.dialect.name != "sqlite":
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(dangling)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        conn.execute(dangling)
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
    with pytest.raises(migrator.ForeignKeysBroken, match=r"rolled back: 1 row would refer .*history row"):
        migrator.upgrade(engine)
    assert migrator.current(engine) == "0008" and ("batches", "batch_id") in _keys(engine, "changes")
    with engine.connect() as conn:  # nothing half-made is left: not even the table the rebuild began
        assert not [t for t in inspect(conn).get_table_names() if t.startswith("_alembic")]


def test_migrating_while_another_connection_writes(engine: Engine):
    """A server appending audit entries while ``db upgrade`` runs: the migration waits for the other
    writer's transactions instead of failing (SQLite: its transaction takes the write lock at once)."""
    migrator.upgrade(engine, "0008")
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(text("UPDATE counters SET value = value + 1 WHERE name = 'audit'"))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        migrator.upgrade(engine)
    finally:
        stop.set()
        writer.join()
    assert migrator.current(engine) == migrator.head()


def _versions(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT record_id, version, action, data FROM credit_record_versions ORDER BY version"))]


def test_the_current_credit_version_is_kept_once_and_comes_back_on_downgrade(engine: Engine):
    """0014 keeps a record's current version only in ``credit_records`` (with the action that made it);
    the downgrade writes it back into ``credit_record_versions``."""
    migrator.upgrade(engine, "0013")
    common = "'91110000MA0000000X', 'r1', 'JJJ-03-001', '某局', '罚1', 'organization', '某公司', " \
             "'91110000MA0000000X', 'in_force', 2, NULL, NULL, NULL, NULL, 0, 0"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO credit_batches (id, item, edition, provider, channel, file_name, file_hash, "
                          "status, rows, created, updated, unchanged, rejected, warnings, flagged, late, started_at, "
                          "finished_at, seconds) VALUES ('c1', 'JJJ-03-001', 2026, '某局', 'cli', 'f', 'h', "
                          "'committed', 1, 1, 0, 0, 0, 0, 0, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)"))
        conn.execute(text(f"INSERT INTO credit_records VALUES ({common}, '{{\"a\": \"2\"}}', NULL, 'f2', 'c1', "
                          "'2026-01-01 00:00:00', '2026-01-02 00:00:00', NULL, NULL)"))
        for version, action, data in ((1, "created", '{"a": "1"}'), (2, "updated", '{"a": "2"}')):
            conn.execute(text("INSERT INTO credit_record_versions VALUES ('91110000MA0000000X', 'r1', :v, :a, "
                              "'in_force', 'c1', '2026-01-01 00:00:00', :d, NULL, 'f', NULL)"),
                         {"v": version, "a": action, "d": data})
    migrator.upgrade(engine)
    assert _versions(engine) == [("r1", 1, "created", '{"a": "1"}')]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version, action FROM credit_records")).one() == (2, "updated")
    migrator.downgrade(engine, "0013")
    assert _versions(engine) == [("r1", 1, "created", '{"a": "1"}'), ("r1", 2, "updated", '{"a": "2"}')]


def test_clients_gain_an_item_grant_that_is_empty_for_those_added_before_and_goes_on_downgrade(engine: Engine):
    """0018 adds ``clients.items`` (NULL: every item within the level, what every client had before);
    the downgrade drops it and keeps the clients."""
    migrator.upgrade(engine, "0016")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO clients (id, name, key_prefix, key_hash, services, level, created_at) VALUES "
                          "('c1', '某局', 'abcd0123', :h, 'records', 2, '2026-01-01 00:00:00')"), {"h": "0" * 64})
    migrator.upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT name, items FROM clients")).one() == ("某局", None)
        conn.execute(text("UPDATE clients SET items = 'JJJ-03-001'"))
    migrator.downgrade(engine, "0016")
    assert migrator.current(engine) == "0016"
    with engine.connect() as conn:
        assert "items" not in {c["name"] for c in inspect(conn).get_columns("clients")}
        assert conn.execute(text("SELECT name, services FROM clients")).one() == ("某局", "records")
    migrator.upgrade(engine)
    assert migrator.current(engine) == migrator.head()


def test_the_audit_trail_kept_before_the_query_log_is_indexed_by_its_codes_and_still_verifies(engine: Engine):
    """0017 adds the address class and items to the trail and indexes the entries already kept by the codes
    they touched (a subject's query log reads them), the chain verifying; the downgrade drops both and keeps
    the entries as they were."""
    from jjjcredit.services.sharing import audit

    migrator.upgrade(engine, "0016")
    entry = {"at": "2026-01-01T00:00:00.000000Z", "request_id": "r", "client": None, "service": "lookup",
             "purpose": None, "method": "GET", "path": "/api/v1/organizations/X", "status": 200, "outcome": "ok",
             "latency_ms": 1.0}
    linked = chain.link([{**entry, "seq": 1, "codes": ["91130100MA0000000X"]}, {**entry, "seq": 2, "codes": []}])
    with engine.begin() as conn:
        for row in linked:
            conn.execute(text("INSERT INTO audit (seq, at, request_id, client, service, purpose, method, path, codes, "
                              "status, outcome, latency_ms, prev_hash, hash) VALUES (:seq, :at, :request_id, :client, "
                              ":service, :purpose, :method, :path, :codes, :status, :outcome, :latency_ms, "
                              ":prev_hash, :hash)").bindparams(bindparam("at", type_=DateTime(timezone=True))),
                         {**row, "at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),  # (whatever the
                          "codes": json.dumps(row["codes"])})                                 # session's zone)
        conn.execute(text("UPDATE counters SET value = 2 WHERE name = 'audit'"))
    migrator.upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT code, seq FROM audit_subjects")).all() == [("91130100MA0000000X", 1)]
        assert audit.verify_trail(conn) == []
    migrator.downgrade(engine, "0016")
    with engine.begin() as conn:
        assert "audit_subjects" not in inspect(conn).get_table_names()
        assert {"address_class", "items"}.isdisjoint(c["name"] for c in inspect(conn).get_columns("audit"))
        kept = conn.execute(text("SELECT seq, hash FROM audit ORDER BY seq")).all()
        assert [(r[0], r[1]) for r in kept] == [(e["seq"], e["hash"]) for e in linked]


def test_credit_tallies_are_filled_from_the_records_held_and_the_index_they_replace_comes_back(engine: Engine):
    """0022 counts each provider's and item's records and late ones (with its five smallest late document
    numbers) into ``credit_tallies`` and drops the index by provider, item and lateness; the downgrade
    builds the index again."""
    migrator.upgrade(engine, "0021")
    with engine.begin() as conn:
        for n, (provider, late) in enumerate([("甲局", 1)] * 7 + [("甲局", 0), ("乙局", 0)]):
            code = f"9111000000000{n:04d}X"
            conn.execute(text(f"INSERT INTO credit_records VALUES ('{code}', 'r{n}', 'JJJ-03-001', :p, :d, "
                              f"'organization', '某公司', '{code}', 'in_force', 1, NULL, NULL, NULL, NULL, :late, 0, "
                              "'{}', NULL, 'f', 'c1', '2026-01-01 00:00:00', '2026-01-01 00:00:00', NULL, NULL, "
                              "'created')"), {"p": provider, "d": f"罚{9 - n}", "late": late})
    migrator.upgrade(engine)
    with engine.connect() as conn:
        tallies = conn.execute(text("SELECT provider, records, late, late_examples FROM credit_tallies "
                                    "ORDER BY provider")).all()
        assert "ix_credit_records_provider_item" not in {i["name"] for i in inspect(conn).get_indexes("credit_records")}
    smallest = json.dumps(["罚3", "罚4", "罚5", "罚6", "罚7"], ensure_ascii=False)
    assert [tuple(t) for t in tallies] == [("乙局", 1, 0, "[]"), ("甲局", 8, 7, smallest)]
    migrator.downgrade(engine, "0021")
    with engine.connect() as conn:
        assert "ix_credit_records_provider_item" in {i["name"] for i in inspect(conn).get_indexes("credit_records")}
        assert "credit_tallies" not in inspect(conn).get_table_names()


def test_credit_tallies_keep_each_pair_s_last_batch_filled_from_the_batches_held(engine: Engine):
    """0023 gives each provider's and item's tally its last committed batch (a pair whose batches kept no
    record gets a tally of none); the downgrade takes the columns and those tallies away."""
    migrator.upgrade(engine, "0022")
    with engine.begin() as conn:
        for batch, provider, status, finished, rows, rejected in (
                ("b1", "甲局", "committed", "2026-01-01 00:00:00", 10, 1),
                ("b2", "甲局", "committed", "2026-02-01 00:00:00", 20, 2),
                ("b3", "甲局", "running", "2026-03-01 00:00:00", 0, 0),
                ("b4", "乙局", "committed", "2026-01-05 00:00:00", 0, 0)):  # a report of none: no tally before
            conn.execute(text(
                "INSERT INTO credit_batches (id, item, edition, provider, channel, file_name, file_hash, status, rows, "
                "created, updated, unchanged, rejected, warnings, flagged, late, started_at, finished_at, seconds) "
                "VALUES (:b, 'JJJ-03-001', 2026, :p, 'cli', 'f.csv', 'h', :s, :r, 0, 0, 0, :x, 0, 0, 0, :f, :f, 1)"),
                {"b": batch, "p": provider, "s": status, "r": rows, "x": rejected, "f": finished})
        conn.execute(text("INSERT INTO credit_tallies VALUES ('甲局', 'JJJ-03-001', 27, 3, '[]')"))
    migrator.upgrade(engine)
    with engine.connect() as conn:
        tallies = conn.execute(text("SELECT provider, records, last_batch, last_batch_rows, last_batch_rejected "
                                    "FROM credit_tallies ORDER BY provider")).all()
    assert [tuple(t) for t in tallies] == [("乙局", 0, "b4", 0, 0), ("甲局", 27, "b2", 20, 2)]
    migrator.downgrade(engine, "0022")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT provider FROM credit_tallies")).scalars().all() == ["甲局"]
        assert "last_batch" not in {c["name"] for c in inspect(conn).get_columns("credit_tallies")}


def test_the_credit_versions_not_numbered_are_pending_after_0025_and_writes_add_to_them_until_the_downgrade(
        engine: Engine):
    """0025 fills ``exchange_credit_pending`` with the versions held that the feed has not numbered, and its
    triggers add every version written after; the downgrade takes the table and the triggers away."""
    migrator.upgrade(engine, "0024")
    row = ("'91110000MA0000000X', :id, 'JJJ-03-001', '某局', :n, 'organization', '某公司', '91110000MA0000000X', "
           "'in_force', :v, NULL, NULL, NULL, NULL, 0, 0, '{}', NULL, 'f', 'c1', '2026-01-01 00:00:00', "
           "'2026-01-02 00:00:00', NULL, NULL, 'updated'")
    with engine.begin() as conn:
        for record_id, number, version in (("r1", "罚1", 2), ("r2", "罚2", 1)):
            conn.execute(text(f"INSERT INTO credit_records VALUES ({row})"),
                         {"id": record_id, "n": number, "v": version})
        conn.execute(text("INSERT INTO credit_record_versions VALUES ('91110000MA0000000X', 'r1', 1, 'created', "
                          "'in_force', 'c1', '2026-01-01 00:00:00', '{}', NULL, 'f', NULL)"))
        conn.execute(text("INSERT INTO exchange_credit_feed VALUES ('r1', 1, 1), ('r2', 1, 2)"))
    migrator.upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT record_id, version FROM exchange_credit_pending")).all() == [("r1", 2)]
        conn.execute(text(f"INSERT INTO credit_records VALUES ({row})"), {"id": "r3", "n": "罚3", "v": 1})
        assert sorted(conn.execute(text("SELECT record_id, version FROM exchange_credit_pending")).all()) == \
            [("r1", 2), ("r3", 1)]
    migrator.downgrade(engine, "0024")
    with engine.begin() as conn:
        assert "exchange_credit_pending" not in inspect(conn).get_table_names()
        conn.execute(text(f"INSERT INTO credit_records VALUES ({row})"), {"id": "r4", "n": "罚4", "v": 1})
    migrator.upgrade(engine)  # and up again, the fill finding what the feed has not numbered
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT record_id, version FROM exchange_credit_pending")).all()) == \
            [("r1", 2), ("r3", 1), ("r4", 1)]


def test_credit_batches_keep_the_client_that_sent_them_filled_from_the_client_of_the_name_live_then(engine: Engine):
    """0026 gives each batch sent over the API the id of the client that held the provider's name when it was
    sent (a revoked client's name given again: its batches stay with the first); the command line's have none."""
    migrator.upgrade(engine, "0025")
    with engine.begin() as conn:
        for client, prefix, created, revoked in (("c1", "p1", "2026-01-01 00:00:00", "2026-02-01 00:00:00"),
                                                 ("c2", "p2", "2026-02-02 00:00:00", None)):
            conn.execute(text("INSERT INTO clients (id, name, key_prefix, key_hash, services, level, created_at, "
                              "revoked_at) VALUES (:c, '甲局', :k, 'h', 'provide', 1, :t, :r)"),
                         {"c": client, "k": prefix, "t": created, "r": revoked})
        for batch, channel, started in (("b1", "api", "2026-01-15 00:00:00"), ("b2", "api", "2026-03-01 00:00:00"),
                                        ("b3", "cli", "2026-03-01 00:00:00")):
            conn.execute(text(
                "INSERT INTO credit_batches (id, item, edition, provider, channel, file_name, file_hash, status, rows, "
                "created, updated, unchanged, rejected, warnings, flagged, late, started_at, finished_at, seconds) "
                "VALUES (:b, 'JJJ-03-001', 2026, '甲局', :c, 'f.csv', 'h', 'committed', 1, 0, 0, 0, 1, 0, 0, 0, "
                ":s, :s, 1)"), {"b": batch, "c": channel, "s": started})
    migrator.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, client FROM credit_batches ORDER BY id")).all() == \
            [("b1", "c1"), ("b2", "c2"), ("b3", None)]
    migrator.downgrade(engine, "0025")
    with engine.connect() as conn:
        assert "client" not in {c["name"] for c in inspect(conn).get_columns("credit_batches")}


def test_exchange_packages_keep_when_their_producer_signed_them_filled_from_their_names(engine: Engine):
    """0028 gives each package applied the time its producer signed it, for those held read from the end of the
    package's name (YYYYMMDDTHHMMSSZ); the downgrade drops it."""
    migrator.upgrade(engine, "0027")
    with engine.begin() as conn:
        for package_id, name in (("X1", "hebei-credit_records-all-government-000000000001-000000000003-"
                                        "20270102T020000Z"), ("X2", "not-a-package-name")):
            conn.execute(text("INSERT INTO exchange_packages (id, package, origin, kind, scope, audience, after_seq, "
                              "to_seq, format, manifest_sha256, rows, applied_at) VALUES (:i, :n, 'hebei', "
                              "'credit_records', 'all', 'government', 0, 3, 'jsonl', 'h', 3, '2027-01-03 00:00:00')"),
                         {"i": package_id, "n": name})
    migrator.upgrade(engine)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT id, created_at FROM exchange_packages")).all())
    signed = found["X1"] if isinstance(found["X1"], datetime.datetime) else datetime.datetime.fromisoformat(found["X1"])
    assert (signed.replace(tzinfo=None) if signed.tzinfo is None else signed.astimezone(datetime.UTC).replace(
        tzinfo=None)) == datetime.datetime(2027, 1, 2, 2, 0) and found["X2"] is None
    migrator.downgrade(engine, "0027")
    with engine.connect() as conn:
        assert "created_at" not in {c["name"] for c in inspect(conn).get_columns("exchange_packages")}


def test_credit_versions_under_an_item_unknown_here_have_a_table_to_wait_in_until_the_downgrade(engine: Engine):
    """0029 makes ``exchange_credit_held`` (a version keyed by its producer, record and version, found by item);
    the downgrade drops it."""
    migrator.upgrade(engine, "0029")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO exchange_credit_held (origin, record_id, version, item, row, since, owned, "
                          "package, held_at) VALUES ('hebei', 'r1', 1, 'JJJ-99-001', '{}', NULL, 1, 'p', "
                          "'2027-01-03 00:00:00')"))
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("INSERT INTO exchange_credit_held (origin, record_id, version, item, row, owned, "
                              "package, held_at) VALUES ('hebei', 'r1', 1, 'JJJ-99-001', '{}', 0, 'p', "
                              "'2027-01-03 00:00:00')"))
    with engine.connect() as conn:
        indexes = [i["name"] for i in inspect(conn).get_indexes("exchange_credit_held")]
    assert indexes == ["ix_exchange_credit_held_item"]
    migrator.downgrade(engine, "0028")
    with engine.connect() as conn:
        assert "exchange_credit_held" not in inspect(conn).get_table_names()
