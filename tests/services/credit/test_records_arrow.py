"""A chunk's rows with nothing to say written as one block (services/credit/records_arrow.py): their records are
stored as the row at a time writer stores them — the same values, fingerprints, deadlines, flags and counts."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from jjjcredit.services.credit import records, records_arrow
from jjjcredit.services.library import library
from jjjcredit.storage.schema import credit_records
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, PROTECTOR, TODAY
from tests.services.library import library_files

#: What a record holds besides its identity and batch (a sealed number differs each time: a nonce a seal).
_KEPT = ("subject_key", "document_number", "subject_type", "subject_name", "subject_code", "status", "version",
         "severity", "decided_on", "valid_until", "due_on", "late", "unknown_organization", "data",
         "fingerprint", "action")


def _rows(engine: Engine, provider: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        found = conn.execute(select(*(credit_records.c[c] for c in _KEPT))
                             .where(credit_records.c.provider == provider)).all()
    return sorted(tuple(r) for r in found)


def test_a_block_stores_its_records_as_the_row_at_a_time_writer_stores_them(ready: Engine, tmp_path: Path,
                                                                          monkeypatch):
    known = library_files.codes(1)[0]
    library.ingest_file(ready, str(library_files.organizations(tmp_path / "orgs.csv", [known])),
                        "hebei/market-regulation")
    rows = [files.penalty(known, "罚1"),
            files.penalty(CODES[0], "罚2", 违法事实='写有"引号"和\\反斜杠的事实', 处罚决定日期="2026-01-05"),
            files.penalty(CODES[1], "罚3", 备注="", 处罚决定日期="2025-12-31"),
            files.penalty(None, "罚4"),  # a natural person's: row at a time in both
            files.penalty(CODES[2], "罚5", 处罚决定日期="2026-05-29", 失信严重程度="严重"),
            files.penalty(CODES[3], "罚6", 处罚决定日期="2026-05-31", **{"罚款金额（万元）": "1,234.5"})]
    path = files.write_csv(tmp_path / "p.csv", rows)
    blocks: list[int] = []
    made = records_arrow.new_records

    def counted(block: records_arrow.Block, *args: object) -> object:
        blocks.append(len(block.ids))
        return made(block, *args)  # type: ignore[arg-type]
    monkeypatch.setattr(records_arrow, "new_records", counted)
    by_block = records.ingest_file(ready, str(path), files.PENALTY, "某甲局", protector=PROTECTOR, today=TODAY)
    assert blocks == [5]  # (the natural person's row is not in it)
    blocks.clear()
    # the same rows and one named twice: the chunk is written a row at a time (the second 罚1 refused)
    again = files.write_csv(tmp_path / "q.csv", [*rows, files.penalty(known, "罚1")])
    by_row = records.ingest_file(ready, str(again), files.PENALTY, "某乙局", protector=PROTECTOR, today=TODAY)
    assert blocks == []
    assert _rows(ready, "某甲局") == _rows(ready, "某乙局")
    assert (by_block.created, by_block.warnings, by_block.flagged, by_block.late, by_block.undated) == \
        (by_row.created, by_row.warnings, by_row.flagged, by_row.late, by_row.undated)
    assert (by_block.created, by_block.flagged) == (6, 4) and by_block.late
    assert [p for p in by_block.problems if p["code"] == "credit.unknown_organization"] == \
        [p for p in by_row.problems if p["code"] == "credit.unknown_organization"]
    assert by_row.rejected == 1 and by_block.rejected == 0


def test_a_block_row_whose_record_is_held_is_written_as_a_new_version(ready: Engine, tmp_path: Path):
    first = [files.penalty(CODES[0], "罚1"), files.penalty(CODES[1], "罚2")]
    records.ingest_file(ready, str(files.write_csv(tmp_path / "a.csv", first)), files.PENALTY, files.PROVIDER,
                        protector=PROTECTOR, today=TODAY)
    second = [files.penalty(CODES[0], "罚1", 违法事实="改过的事实"), files.penalty(CODES[1], "罚2"),
              files.penalty(CODES[2], "罚3")]
    summary = records.ingest_file(ready, str(files.write_csv(tmp_path / "b.csv", second)), files.PENALTY,
                                  files.PROVIDER, protector=PROTECTOR, today=TODAY + datetime.timedelta(days=1))
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    assert sorted(r[6] for r in _rows(ready, files.PROVIDER)) == [1, 1, 2]  # versions


def test_the_fingerprints_of_a_block_are_those_of_each_record():
    import pyarrow as pa

    from jjjcredit.core.credit import records as rules

    texts = ['{"CF_WSH": "京罚〔2026〕1号"}', "{}", '{"A": "' + "某" * 500 + '"}']
    severities = ["general", None, "serious"]
    assert records_arrow.fingerprints_of(pa.array(texts), pa.array(severities)) == [
        rules.fingerprint_of(t, s) for t, s in zip(texts, severities, strict=True)]
