"""Checking lists of codes: the work behind ``jjjcredit codes check``.

Codes are judged in batches on the vectorized path; only codes that are not plainly valid get the
single path's findings and suggestions, so a clean register of a million codes takes about a
second while every problem still gets its full message.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from jjjcredit.core import ric, uscc
from jjjcredit.core.errors import Verdict
from jjjcredit.services.tabular import Cell

COLUMNS = ("input", "code", "verdict", "error", "position", "message", "suggestions")
BATCH = 65_536
#: Inputs longer than this are shown cut short in the output (the verdict uses the whole value).
SHOWN_INPUT = 200


@dataclass
class Summary:
    """Counts for the run; ``rows`` = valid + warnings + invalid, always."""

    rows: int = 0
    valid: int = 0
    warnings: int = 0
    invalid: int = 0
    blank: int = 0
    by_error: dict[str, int] = field(default_factory=dict)

    def add(self, verdict: Verdict, code: str | None) -> None:
        self.rows += 1
        if verdict is Verdict.VALID:
            self.valid += 1
        elif verdict is Verdict.WARNING:
            self.warnings += 1
        else:
            self.invalid += 1
        if code:
            self.by_error[code] = self.by_error.get(code, 0) + 1


def _shown(value: str) -> str:
    if len(value) <= SHOWN_INPUT:
        return value
    return f"{value[:SHOWN_INPUT]}… ({len(value):,} characters)"


def _detail_row(value: str, summary: Summary) -> list[str]:
    result = uscc.check(value)
    first = result.first
    summary.add(result.verdict, first.code if first else None)
    personal = any(f.code == "uscc.looks_like_ric" for f in result.findings)
    message = first.message if first else ""
    if personal:
        # A resident identity number is personal data: never echoed whole, never "corrected".
        hint = next(f for f in result.findings if f.code == "uscc.looks_like_ric")
        if hint is not first:
            message = f"{message} {hint.message}"
        shown = ric.mask(result.compact)
        return [shown, shown, result.verdict.label, first.code if first else "",
                str(first.position) if first and first.position else "", message, ""]
    suggestions = ""
    if result.verdict is Verdict.INVALID:
        suggestions = " ".join(s.code for s in uscc.suggest(result.compact))
    return [
        _shown(value),
        result.compact if len(result.compact) <= SHOWN_INPUT else "",
        result.verdict.label,
        first.code if first else "",
        str(first.position) if first and first.position else "",
        message,
        suggestions,
    ]


def check_cells(cells: Iterable[Cell], summary: Summary) -> Iterator[str]:
    """CSV text (header first, then one block per batch) for every non-blank cell, in order."""
    yield ",".join(COLUMNS) + "\n"
    batch: list[str] = []
    for cell in cells:
        value = cell.value.strip()
        if not value:
            summary.blank += 1
            continue
        batch.append(value)
        if len(batch) >= BATCH:
            yield _check_batch(batch, summary)
            batch = []
    if batch:
        yield _check_batch(batch, summary)


def _check_batch(values: list[str], summary: Summary) -> str:
    verdicts = uscc.verdict_many(values)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    plain = (verdicts == Verdict.VALID).tolist()
    valid_rows = 0
    for value, is_plain in zip(values, plain, strict=True):
        if is_plain and value.isascii() and value.isalnum() and value == value.upper():
            # Already compact and plainly valid: nothing to quote, nothing to explain.
            out.write(f"{value},{value},valid,,,,\n")
            valid_rows += 1
        else:
            writer.writerow(_detail_row(value, summary))
    summary.rows += valid_rows
    summary.valid += valid_rows
    return out.getvalue()
