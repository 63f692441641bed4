"""Every limit is a documented setting: docs/limits.md names each one's variable with its default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from jjjcredit.core.limits import Limits

DOCS = Path(__file__).resolve().parents[2] / "docs" / "limits.md"


def test_every_limit_is_in_the_table_with_its_default():
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[2].strip()
            for line in DOCS.read_text("utf-8").splitlines() if line.startswith("| `JJJCREDIT_LIMIT_")}
    for f in dataclasses.fields(Limits):
        name = f"JJJCREDIT_LIMIT_{f.name.upper()}"
        assert name in rows, f"{name} is missing from docs/limits.md"
        assert rows[name].split()[0] == str(f.default), f"{name}: the table says {rows[name]}, the code {f.default}"
    assert len(rows) == len(dataclasses.fields(Limits)), "the table names a limit the code does not have"
