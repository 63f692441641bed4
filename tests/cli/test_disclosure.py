"""The command line's show commands go through the one disclosure rule: ``library show`` and
``search find`` with ``--level N`` show what an application party at level N sees (the fixture's
level-2 and level-3 values, unique strings, absent below their level and present at it); without
it, the staff's view: every element, personal data masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jjjcredit.core.library import records
from tests.cli.test_library import run
from tests.services.library import library_files as files

LEVEL_2 = {"telephone", "contact", "shareholder"}
#: --level → the restricted elements shown in clear.
LEVELS: dict[str, set[str]] = {"1": set(), "2": LEVEL_2, "3": LEVEL_2 | {"legal_rep_id_number"}}


def shown(text: str, code: str, revision: int = 0) -> set[str]:
    return {element for element, value in files.restricted(code, revision).items() if value in text}


@pytest.fixture
def library_url(database_url: str, tmp_path: Path) -> tuple[str, list[str]]:
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    codes = files.codes(3)
    for path, revision in ((files.organizations(tmp_path / "a.csv", codes, date="2020-01-01"), 0),
                           (files.organizations(tmp_path / "b.csv", codes[:1], date="2024-07-01", revision=1), 1)):
        ingest = run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", database_url)
        assert ingest.returncode == 0, (revision, ingest.stderr)
    return database_url, codes


def test_library_show_by_level_and_the_staff_view(library_url: tuple[str, list[str]]):
    url, codes = library_url
    code = codes[0]  # its level-2 and level-3 values changed: the history holds both revisions
    for level, entitled in LEVELS.items():
        result = run("library", "show", code, "--level", level, "--db", url)
        assert result.returncode == 0, result.stderr
        assert shown(result.stdout, code, 0) == entitled == shown(result.stdout, code, 1), f"--level {level}"
    staff = run("library", "show", code, "--db", url)
    assert staff.returncode == 0, staff.stderr
    assert shown(staff.stdout, code, 0) == {"shareholder"} == shown(staff.stdout, code, 1)
    organization = json.loads(staff.stdout)["organization"]
    current = files.restricted(code, 1)
    for element in ("telephone", "contact", "legal_rep_id_number"):
        assert organization[element] == records.mask_personal(current[element]) != current[element]
    assert organization["source"] == "hebei/market-regulation" and "fingerprint" not in organization


def test_search_find_by_level_and_the_staff_view(library_url: tuple[str, list[str]]):
    url, codes = library_url
    code = codes[1]
    for level, entitled in (*LEVELS.items(), (None, {"shareholder"})):
        chosen = ("--level", level) if level else ()
        result = run("search", "find", "石家庄某某1机械制造有限公司", *chosen, "--db", url)
        assert result.returncode == 0, result.stderr
        assert code in result.stdout and shown(result.stdout, code) == entitled, f"--level {level}"


def test_a_level_that_is_none_is_a_usage_error(library_url: tuple[str, list[str]]):
    url, codes = library_url
    result = run("library", "show", codes[0], "--level", "4", "--db", url)
    number = files.restricted(codes[0])["legal_rep_id_number"]
    assert result.returncode == 2 and number not in result.stdout + result.stderr
