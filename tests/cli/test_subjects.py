"""``jjjcredit subjects`` through the real command, on a real database: a one-time code for an
organization (for its registered representative) and for a natural person (the number from standard
input), refused for an organization the library does not hold; the staff's reads (``credit show``,
``report issue``) land in the subject's query log, which ``subjects queries`` prints."""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pytest

from jjjcredit.core.credit import persons
from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.services.sharing import subjects
from jjjcredit.storage.engine import make_engine
from tests.cli.test_codes import run
from tests.services.credit import credit_files as files
from tests.services.library import library_files

ORG = files.codes(1, seed=43)[0]


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JJJCREDIT_SIGNING_KEY_SECRET", "test-operator-secret")  # the commands inherit it


@pytest.fixture
def url(database_url: str, tmp_path: Path) -> str:
    engine = make_engine(database_url)
    db.upgrade(engine)
    library.ingest_file(engine, str(library_files.organizations(tmp_path / "o.csv", [ORG], date="2020-01-01")),
                        "hebei/market-regulation")
    with engine.begin() as conn:
        files.publish(conn, 2026)
    engine.dispose()
    return database_url


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run(*args, stdin=stdin.encode() if stdin else None)


def test_a_code_for_an_organization_opens_its_session(url: str):
    made = _run("subjects", "code", ORG, "--db", url)
    assert made.returncode == 0, made.stderr
    issued = json.loads(made.stdout)
    assert issued["subject"] == ORG and issued["sent_to"].startswith("the registered representative ")
    assert len(issued["code"]) == 6 and issued["code"].isdigit()
    engine = make_engine(url)
    session = subjects.open_session(engine, ORG, issued["code"], None)
    engine.dispose()
    assert session.subject_key == ORG


def test_a_code_for_a_person_reads_the_number_from_standard_input(url: str):
    made = _run("subjects", "code", "-", "--db", url, stdin=files.person() + "\n")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["subject"].startswith(persons.PERSON_PREFIX)
    assert files.person() not in made.stdout + made.stderr


def test_an_organization_outside_the_library_gets_no_code(url: str):
    refused = _run("subjects", "code", files.codes(2, seed=97)[1], "--db", url)
    assert refused.returncode == 1 and "[subjects.unknown]" in refused.stderr


def test_a_subject_that_is_none_is_refused_masked(url: str):
    """A mistyped identity number or a mobile number, typed or on standard input: credit.subject_code, masked."""
    for typed, masked in (("130102198503151230", "130102********1230"), ("13812345678", "138****5678")):
        for command in ("code", "queries"):
            for args, stdin in (((typed,), None), (("-",), typed + "\n")):
                refused = _run("subjects", command, *args, "--db", url, stdin=stdin)
                assert (refused.returncode, refused.stdout) == (1, ""), refused.stderr
                assert f'[credit.subject_code]: "{masked}"' in refused.stderr and typed not in refused.stderr


def test_the_staffs_reads_are_in_the_subjects_query_log(url: str, tmp_path: Path):
    path = files.write_csv(tmp_path / "p.csv", [files.penalty(ORG, "罚1")])
    assert _run("credit", "ingest", str(path), "--item", files.PENALTY, "--provider", files.PROVIDER,
                "--db", url).returncode == 0
    assert _run("credit", "show", ORG, "--db", url).returncode == 0
    issued = _run("report", "issue", ORG, "--out", str(tmp_path / "r.json"), "--db", url)
    assert issued.returncode == 0, issued.stderr
    shown = _run("subjects", "queries", ORG, "--db", url)
    assert shown.returncode == 0, shown.stderr
    log = json.loads(shown.stdout)["queries"]
    assert [(q["path"], q["kind"]) for q in log] == [("jjjcredit report issue", "staff"),
                                                     ("jjjcredit credit show", "staff")]
    assert log[1]["items"] == [files.PENALTY] and log[0]["who"].startswith("staff:")
    assert datetime.datetime.fromisoformat(log[0]["at"].replace("Z", "+00:00")).year >= 2026
    nobody = _run("subjects", "queries", files.codes(2, seed=97)[1], "--db", url)
    assert nobody.returncode == 0 and json.loads(nobody.stdout)["queries"] == []
