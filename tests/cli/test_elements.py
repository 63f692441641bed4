"""``jjjcredit elements``, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

from jjjcredit.core.library import element_schemas, elements
from tests.cli import command

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return command.run_text(["elements", *args], encoding="utf-8-sig", cwd=ROOT)


def test_list_json_gives_32_elements_in_order():
    result = run("list", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == list(elements.COLUMN_ORDER)
    assert len(rows) == 32
    assert rows[0]["identifier"] == "0101" and rows[0]["required"] is True
    assert result.stdout == run("list", "--format", "json").stdout  # deterministic


def test_list_csv_has_a_header_and_a_row_per_element():
    result = run("list", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == element_schemas.DESCRIPTION_FIELDS
    assert [r[1] for r in rows[1:]] == list(elements.COLUMN_ORDER)
    status = rows[1:][elements.COLUMN_ORDER.index("status")]
    assert status[-1].startswith("1 存续 ")


def test_list_table_names_every_element():
    result = run("list")
    assert result.returncode == 0, result.stderr
    for e in elements.ELEMENTS:
        assert e.identifier in result.stdout and e.name in result.stdout


def test_schema_xsd_equals_the_committed_file():
    result = run("schema", "--format", "xsd")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / element_schemas.XSD_FILE).read_text(encoding="utf-8")


def test_schema_json_schema_equals_the_committed_file():
    result = run("schema", "--format", "json-schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / element_schemas.JSON_SCHEMA_FILE).read_text(encoding="utf-8")


def test_an_unknown_format_is_a_usage_error():
    for args in (("list", "--format", "yaml"), ("schema", "--format", "json")):
        result = run(*args)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith("error [usage.format]: ")
        assert f'"{args[-1]}"' in result.stderr
