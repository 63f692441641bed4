"""The public identifier vectors (tests/data/uscc_vectors.csv): the rows of one kind, never none."""

from __future__ import annotations

import csv
from pathlib import Path


def load(testdata: Path, kind: str) -> list[dict[str, str]]:
    with (testdata / "uscc_vectors.csv").open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["kind"] == kind]
    assert rows, f"no {kind} vectors in {testdata / 'uscc_vectors.csv'}"
    return rows


def tags(row: dict[str, str]) -> set[str]:
    note = row["note"]
    return {t for t in ("ORGCODE-STRICT", "NORMALIZATION-DEPENDENT", "REGION-DEPENDENT",
                        "SYNTHETIC") if f"[{t}]" in note}
