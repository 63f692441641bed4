"""``jjjcredit report CODE`` (= ``report issue``), ``report verify FILE`` offline and ``report number``,
through a subprocess: a report issued as PDF and JSON verifies; one byte changed fails with exit 1 and
the reason; a natural person, a file that is no report and a mistyped number are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from jjjcredit.services import db
from jjjcredit.services.credit import records
from jjjcredit.services.library import library
from jjjcredit.storage.engine import make_engine
from tests.cli.test_evidence import run_with
from tests.services.credit import credit_files as files
from tests.services.library import library_files

SECRET = "cli-operator-secret"
CODES = library_files.codes(1, seed=13)


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    library.ingest_file(engine, str(library_files.organizations(tmp_path / "orgs.csv", CODES)),
                        "hebei/market-regulation")
    with engine.begin() as conn:
        files.publish(conn, 2026)
    penalties = files.write_csv(tmp_path / "p.csv", [files.penalty(CODES[0], "石市监罚〔2026〕1号")])
    records.ingest_file(engine, str(penalties), files.PENALTY, files.PROVIDER, protector=None)
    engine.dispose()
    return {"JJJCREDIT_DATABASE_URL": database_url, "JJJCREDIT_SIGNING_KEY_SECRET": SECRET,
            "JJJCREDIT_REPORT_BASE_URL": "https://credit.example.cn"}


def test_issue_verify_and_a_changed_byte(env: dict[str, str], tmp_path: Path):
    pdf, saved = tmp_path / "r.pdf", tmp_path / "r.json"
    issued = run_with(env, "report", CODES[0], "--format", "pdf", "--out", str(pdf), "--level", "1")
    assert issued.returncode == 0, issued.stderr
    number = issued.stdout.strip()
    assert pdf.read_bytes().startswith(b"%PDF-") and number in issued.stderr
    as_json = run_with(env, "report", "issue", CODES[0], "--special", "--from", "2024-01-01")
    assert as_json.returncode == 0, as_json.stderr
    saved.write_text(as_json.stdout, encoding="utf-8")
    doc = json.loads(as_json.stdout)
    assert doc["report"]["kind"] == "special" and doc["report"]["audience"] == "public"
    for path in (pdf, saved):
        ok = run_with(env, "report", "verify", str(path))
        assert ok.returncode == 0 and "The report verifies" in ok.stderr, ok.stderr
    assert json.loads(run_with(env, "report", "verify", str(pdf)).stdout)["number"] == number
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(data))
    changed = run_with(env, "report", "verify", str(tmp_path / "changed.pdf"))
    assert changed.returncode == 1 and "[report.altered]" in changed.stderr and "SHA-256" in changed.stderr
    found = run_with(env, "report", "number", number.lower())
    assert found.returncode == 0 and json.loads(found.stdout)["files"]["pdf"]["sha256"]


def test_refusals(env: dict[str, str], tmp_path: Path):
    person = run_with(env, "report", files.person())
    assert person.returncode == 2 and "[report.not_organization]" in person.stderr
    assert files.person() not in person.stderr
    other = tmp_path / "other.txt"
    other.write_text("not a report", encoding="utf-8")
    not_report = run_with(env, "report", "verify", str(other))
    assert not_report.returncode == 2 and "[report.file]" in not_report.stderr
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as out:  # sparse: nothing read, refused by its size
        out.truncate(17 << 20)
    too_large = run_with(env, "report", "verify", str(huge))
    assert too_large.returncode == 2 and "[report.file]" in too_large.stderr and "at most" in too_large.stderr
    folder = run_with(env, "report", "verify", str(tmp_path))
    assert folder.returncode == 2 and "[file.is_directory]" in folder.stderr
    mistyped = run_with(env, "report", "number", "JJJ-2026-00000000-5")
    assert mistyped.returncode == 2 and "[report.number]" in mistyped.stderr
    period = run_with(env, "report", CODES[0], "--special", "--from", "2019-01-01")
    assert period.returncode == 2 and "[report.period]" in period.stderr


def test_a_report_whose_file_cannot_be_written_is_not_issued(env: dict[str, str], tmp_path: Path):
    engine = make_engine(env["JJJCREDIT_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            before = conn.execute(text("SELECT count(*) FROM credit_reports")).scalar_one()
        nowhere = run_with(env, "report", CODES[0], "--format", "pdf", "--out", str(tmp_path / "no" / "r.pdf"))
        assert nowhere.returncode == 2 and "[usage.out]" in nowhere.stderr and "no report was issued" in nowhere.stderr
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM credit_reports")).scalar_one() == before
    finally:
        engine.dispose()
    assert not list(tmp_path.glob("**/*.partial"))
