"""A large CSV file sent from the command line is read and checked in a process of its own
(services/credit/checking.py): the batch it makes is the batch the file makes checked in the batch's own process —
the same summary, the same records — an error met in the file is the same error, and a checking process that
dies stops the batch with nothing recorded."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from jjjcredit.services.credit import checking, records
from jjjcredit.services.tabular import decoding, delimited
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.storage.schema import credit_batches, credit_records, credit_rejects
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, PROTECTOR, TODAY

_KEPT = ("subject_key", "document_number", "subject_type", "subject_name", "subject_code", "status", "version",
         "severity", "decided_on", "valid_until", "due_on", "late", "unknown_organization", "data", "fingerprint")


def _mixed_rows(count: int) -> list[dict[str, str]]:
    """Clean rows, natural persons', rows to reject and a document number named twice, over several chunks."""
    rows = []
    for i in range(count):
        if i % 97 == 5:
            rows.append(files.penalty(None, f"罚{i}"))  # a natural person's
        elif i % 89 == 7:
            rows.append(files.penalty(CODES[i % len(CODES)], f"罚{i}", 处罚决定日期="2026-02-30"))  # rejected
        else:
            rows.append(files.penalty(CODES[i % len(CODES)], f"罚{i}", 违法事实=f"事实{i}" * (1 + i % 5)))
    rows.append(files.penalty(CODES[0], "罚3"))  # named twice
    return rows


def _batch(engine: Engine, summary: records.Summary) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        kept = conn.execute(select(*(credit_records.c[c] for c in _KEPT))
                            .where(credit_records.c.batch_id == summary.batch)).all()
        rejects = conn.execute(select(credit_rejects.c.row, credit_rejects.c.problems, credit_rejects.c.data)
                               .where(credit_rejects.c.batch_id == summary.batch)).all()
    return sorted(tuple(r) for r in kept), sorted(tuple(r) for r in rejects)


def _said(summary: records.Summary) -> dict[str, Any]:
    said = summary.to_dict()
    for varying in ("batch", "seconds", "provider"):
        said.pop(varying, None)
    said["message"] = str(said.get("message", "")).replace(summary.batch, "BATCH")
    return said


def test_a_file_checked_in_its_own_process_makes_the_batch_checked_at_home(ready: Engine, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    path = files.write_csv(tmp_path / "p.csv", _mixed_rows(3_000))
    forked: list[str] = []
    real = checking.checked_elsewhere

    def counted(source: checking.Source) -> Any:
        forked.append(source.path)
        return real(source)

    monkeypatch.setattr(checking, "checked_elsewhere", counted)
    monkeypatch.setattr(checking, "PROCESS_CORES", 1)  # (a machine of two cores checks at home)
    monkeypatch.setattr(checking, "PROCESS_BYTES", 1 << 40)
    at_home = records.ingest_file(ready, str(path), files.PENALTY, "某甲局", protector=PROTECTOR, today=TODAY,
                                  chunk_rows=500)
    assert forked == []
    monkeypatch.setattr(checking, "PROCESS_BYTES", 0)
    elsewhere = records.ingest_file(ready, str(path), files.PENALTY, "某乙局", protector=PROTECTOR, today=TODAY,
                                    chunk_rows=500, channel="cli")
    assert forked == [str(path)]
    assert _said(elsewhere) == _said(at_home)
    assert at_home.rejected and at_home.created > 2_900
    assert _batch(ready, elsewhere) == _batch(ready, at_home)
    monkeypatch.setattr(checking, "PROCESS_BYTES", 0)  # the API's batches are never forked
    records.ingest_file(ready, str(path), files.PENALTY, "某戊局", protector=PROTECTOR, today=TODAY, chunk_rows=500,
                        channel="api")
    monkeypatch.setattr(checking, "PROCESS_CORES", len(os.sched_getaffinity(0)) + 1)  # nor on too few cores
    records.ingest_file(ready, str(path), files.PENALTY, "某己局", protector=PROTECTOR, today=TODAY, chunk_rows=500)
    assert forked == [str(path)]


def test_an_error_met_by_the_checking_process_is_the_error_met_at_home(ready: Engine, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "p.csv"
    good = files.write_csv(tmp_path / "good.csv", _mixed_rows(200), encoding="utf-16").read_bytes()
    path.write_bytes(good[:-3])  # cut in the middle of a UTF-16 character: not UTF-16 any further
    monkeypatch.setattr(checking, "PROCESS_CORES", 1)
    monkeypatch.setattr(delimited, "ARROW_BLOCK", 4096)  # (the error is met past the first block: once forked)
    monkeypatch.setattr(decoding, "_BLOCK", 4096)
    said = []
    for threshold in (1 << 40, 0):
        monkeypatch.setattr(checking, "PROCESS_BYTES", threshold)
        with pytest.raises(InputFileError) as raised:
            records.ingest_file(ready, str(path), files.PENALTY, "某丙局", protector=PROTECTOR, today=TODAY,
                                chunk_rows=50)
        said.append((raised.value.code, raised.value.message))
    assert said[0] == said[1] and said[0][0] == "file.encoding" and "after row 198 " in said[0][1], said
    with ready.connect() as conn:
        assert not conn.execute(select(func.count()).select_from(credit_records)
                                .where(credit_records.c.provider == "某丙局")).scalar()


def test_a_checking_process_that_dies_stops_the_batch_with_nothing_recorded(ready: Engine, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    path = files.write_csv(tmp_path / "p.csv", _mixed_rows(400))
    monkeypatch.setattr(checking, "PROCESS_BYTES", 0)
    monkeypatch.setattr(checking, "PROCESS_CORES", 1)
    real = checking.Source.chunks

    def dying(self: checking.Source) -> Any:
        for n, checked in enumerate(real(self)):
            if n == 2:
                os.kill(os.getpid(), signal.SIGKILL)  # (the checking process's own id: it is the one killed)
            yield checked

    monkeypatch.setattr(checking.Source, "chunks", dying)
    with pytest.raises(InputFileError) as raised:
        records.ingest_file(ready, str(path), files.PENALTY, "某丁局", protector=PROTECTOR, today=TODAY,
                            chunk_rows=50)
    assert raised.value.code == "file.check_ended" and "-9" in raised.value.message
    with ready.connect() as conn:
        assert not conn.execute(select(func.count()).select_from(credit_batches)
                                .where(credit_batches.c.provider == "某丁局")).scalar()
