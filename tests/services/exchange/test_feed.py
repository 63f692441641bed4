"""The exchange's feed of credit record versions (services/exchange/feed.py): every version written is
numbered once, by the first numbering after its write, whatever wrote it — and a numbering reads the
versions written since the last one (``exchange_credit_pending``), not every version held."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from jjjcredit.core.credit import persons
from jjjcredit.services.credit import corrections, records
from jjjcredit.services.exchange import feed
from tests.services.credit import credit_files

TODAY = datetime.date(2026, 6, 1)
PROTECTOR = persons.Protector(bytes(range(32)))
CODES = credit_files.codes(3, seed=17)


def _ingest(engine: Engine, path: Path, rows: list[dict[str, str]]) -> records.Summary:
    credit_files.write_csv(path, rows)
    return records.ingest_file(engine, str(path), credit_files.PENALTY, credit_files.PROVIDER, protector=PROTECTOR,
                               today=TODAY)


def _numbered(conn: Connection) -> list[tuple[str, int, int]]:
    return [tuple(r) for r in conn.execute(text("SELECT record_id, version, seq FROM exchange_credit_feed "
                                                "ORDER BY seq"))]


def _held(conn: Connection) -> set[tuple[str, int]]:
    return {(r[0], int(r[1])) for r in conn.execute(text(
        "SELECT id, version FROM credit_records UNION ALL SELECT record_id, version FROM credit_record_versions"))}


def _pending(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM exchange_credit_pending")).scalar_one())


def test_each_numbering_numbers_what_was_written_since_once_and_leaves_nothing_pending(producer: Engine,
                                                                                      tmp_path: Path):
    _ingest(producer, tmp_path / "a.csv", [credit_files.penalty(c, f"罚〔2026〕{i}号") for i, c in enumerate(CODES)])
    with producer.begin() as conn:
        assert _pending(conn) == 3
        assert feed.number_credit_versions(conn) == 3
        assert _pending(conn) == 0 and {(i, v) for i, v, _s in _numbered(conn)} == _held(conn)
        assert feed.number_credit_versions(conn) == 3  # nothing written since: nothing numbered
    # a file again, one record changed: its new version (and the old one, kept as replaced) is pending
    _ingest(producer, tmp_path / "b.csv", [credit_files.penalty(c, f"罚〔2026〕{i}号", **(
        {"处罚内容": "罚款二万元"} if i == 1 else {})) for i, c in enumerate(CODES)])
    with producer.begin() as conn:
        assert feed.number_credit_versions(conn) == 4
        numbered = _numbered(conn)
        assert [s for _i, _v, s in numbered] == [1, 2, 3, 4] and numbered[-1][1] == 2
        assert {(i, v) for i, v, _s in numbered} == _held(conn) and _pending(conn) == 0


def test_a_version_any_statement_writes_is_numbered(producer: Engine, tmp_path: Path):
    """The database notes the versions (triggers), so a writer the feed does not know of loses none."""
    _ingest(producer, tmp_path / "a.csv", [credit_files.penalty(CODES[0], "罚〔2026〕1号")])
    with producer.begin() as conn:
        feed.number_credit_versions(conn)
        conn.execute(text("INSERT INTO credit_records SELECT subject_key, 'other-record', item, provider, "
                          "'罚〔2026〕9号', subject_type, subject_name, subject_code, status, 1, severity, decided_on, "
                          "valid_until, due_on, late, unknown_organization, data, sealed, fingerprint, batch_id, "
                          "created_at, updated_at, revoked_on, reason, action FROM credit_records"))
        conn.execute(text("UPDATE credit_records SET version = 2 WHERE id = 'other-record'"))
        conn.execute(text("INSERT INTO credit_record_versions (subject_key, record_id, version, action, status, at, "
                          "data, fingerprint) SELECT subject_key, id, 1, 'created', status, created_at, data, "
                          "fingerprint FROM credit_records WHERE id = 'other-record'"))
    with producer.begin() as conn:
        assert feed.number_credit_versions(conn) == 3
        assert {(i, v) for i, v, _s in _numbered(conn)} == _held(conn) and _pending(conn) == 0


def test_versions_not_numbered_before_their_record_moves_to_another_subject_are_numbered(producer: Engine,
                                                                                        tmp_path: Path):
    """A correction of the subject takes the record's history to the new subject's key: versions written
    before it and not numbered yet are found there."""
    _ingest(producer, tmp_path / "a.csv", [credit_files.penalty(CODES[0], "罚〔2026〕1号")])
    _ingest(producer, tmp_path / "b.csv", [credit_files.penalty(CODES[0], "罚〔2026〕1号", 处罚内容="罚款二万元")])
    with producer.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"统一社会信用代码": CODES[1]}, "主体更正", TODAY, protector=PROTECTOR, today=TODAY)
        assert conn.execute(text("SELECT DISTINCT subject_key FROM credit_record_versions")).scalars().all() == \
            [CODES[1]]
        assert feed.number_credit_versions(conn) == 3
        assert [v for _i, v, _s in _numbered(conn)] == [1, 2, 3] and _pending(conn) == 0
