"""Checking lists of codes: the work behind ``jjjcredit codes check``.

Codes are judged in batches on the vectorized path; only codes that are not plainly valid get the
single path's findings and suggestions, so a clean register of a million codes takes about a
second while every problem still gets its full message.

Every line of the report starts with the ``row`` the value is in, as a person sees it in the file:
the line number in a text file (blank lines keep their place, so line 7 is the seventh line an
editor shows), the spreadsheet row in a CSV or XLSX column (the header is row 1, so the first code
is usually row 2). Blank values get no line of the report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from jjjcredit.core import cells
from jjjcredit.core.codes import ric, uscc, uscc_bulk
from jjjcredit.core.errors import Verdict
from jjjcredit.services.tabular.files import Cell

COLUMNS = ("row", "input", "code", "verdict", "error", "position", "message", "suggestions")
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


def _detail_rows(values: list[str], summary: Summary) -> list[list[str]]:
    """Full rows for values that are not plainly valid: first finding, message, suggestions."""
    results = [uscc.check(v) for v in values]
    wanted = [r.compact if r.verdict is Verdict.INVALID else "" for r in results]
    suggestions = uscc.suggest_many(wanted)
    rows = []
    for value, result, suggested in zip(values, results, suggestions, strict=True):
        first = result.first
        summary.add(result.verdict, first.code if first else None)
        message = first.message if first else ""
        shown, code = _shown(value), result.compact if len(result.compact) <= SHOWN_INPUT else ""
        hint = next((f for f in result.findings if f.code == "uscc.looks_like_ric"), None)
        if hint is not None:
            # A resident identity number is personal data: never echoed whole, never "corrected".
            if hint is not first:
                message = f"{message} {hint.message}"
            shown = code = ric.mask(result.compact)
        rows.append([
            shown,
            code,
            result.verdict.label,
            first.code if first else "",
            str(first.position) if first and first.position else "",
            message,
            " ".join(s.code for s in suggested),
        ])
    return rows


def check_cells(cells: Iterable[Cell], summary: Summary) -> Iterator[str]:
    """:func:`check_batches` for cells read one at a time (a CSV or XLSX column), each report line
    carrying the cell's spreadsheet row."""

    def batched() -> Iterator[tuple[Sequence[int], list[str]]]:
        rows: list[int] = []
        batch: list[str] = []
        for cell in cells:
            rows.append(cell.row)
            batch.append(cell.value)
            if len(batch) >= BATCH:
                yield rows, batch
                rows, batch = [], []
        if batch:
            yield rows, batch

    return _check_numbered(batched(), summary)


def check_batches(batches: Iterable[list[str]], summary: Summary) -> Iterator[str]:
    """CSV text (header first, then one block per batch) for every non-blank value, in order; the
    values are the lines of a file, numbered from 1 across the batches."""

    def numbered() -> Iterator[tuple[Sequence[int], list[str]]]:
        start = 1
        for raw in batches:
            yield range(start, start + len(raw)), raw
            start += len(raw)

    return _check_numbered(numbered(), summary)


def _check_numbered(batches: Iterable[tuple[Sequence[int], list[str]]], summary: Summary) -> Iterator[str]:
    header = ",".join(COLUMNS) + "\n"  # written with the first rows: a file that fails early leaves no report
    for numbers, raw in batches:
        stripped = [v.strip() for v in raw]
        kept = [i for i, v in enumerate(stripped) if v]
        summary.blank += len(raw) - len(kept)
        if kept:
            yield header + _check_batch([stripped[i] for i in kept], [numbers[i] for i in kept], summary)
            header = ""


def _check_batch(values: list[str], rows: list[int], summary: Summary) -> str:
    judged = uscc_bulk.judge_many(values)
    plain = ((judged.verdicts == Verdict.VALID) & judged.as_given).tolist()
    details = iter(_detail_rows([v for v, p in zip(values, plain, strict=True) if not p], summary))
    detail_out = io.StringIO()
    # "\r\n" as the writer's terminator makes it quote a field holding either character; the
    # report itself ends lines with "\n".
    writer = csv.writer(detail_out, lineterminator="\r\n")

    def detail() -> str:
        detail_out.seek(0)
        detail_out.truncate()
        writer.writerow(cells.guarded(next(details)))
        return detail_out.getvalue()[:-2]

    # Already compact and plainly valid: nothing to quote, nothing to explain.
    lines = [f"{row},{value},{value},valid,,,," if is_plain else f"{row},{detail()}"
             for row, value, is_plain in zip(rows, values, plain, strict=True)]
    valid_rows = sum(plain)
    summary.rows += valid_rows
    summary.valid += valid_rows
    return "\n".join(lines) + "\n"
