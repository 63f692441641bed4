"""``jjjcredit records``: check a department's record file against the standard data elements."""

from __future__ import annotations

import csv
import gc
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Optional

import typer

from jjjcredit.cli import output
from jjjcredit.core import cells
from jjjcredit.core.library.crosswalks import CrosswalkError
from jjjcredit.core.library.records import LayoutError, Problem
from jjjcredit.services.library import crosswalks
from jjjcredit.services.library import records as records_service
from jjjcredit.services.tabular import excel_csv, files
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)

FIELDS = ("row", "field", "code", "severity", "message", "value")
REPORT_FORMATS = (".json", ".jsonl", ".csv")


def _write_problems(problems: Iterable[Problem], out: IO[str], kind: str,
                    summary: records_service.Summary) -> None:
    """Stream problems as JSON Lines, CSV, or one JSON document whose summary comes last."""
    dumps = json.dumps
    if kind == ".jsonl":
        for p in problems:
            out.write(dumps(p.to_dict(), ensure_ascii=False) + "\n")
        return
    if kind == ".csv":  # ``out`` comes from excel_csv.csv_text: the encoding Excel is asked to read
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for p in problems:
            writer.writerow(cells.guarded((p.row, p.field, p.code, p.severity.value, p.message, p.value)))
        return
    out.write('{"problems": [')
    first = True
    for p in problems:
        out.write(("\n  " if first else ",\n  ") + dumps(p.to_dict(), ensure_ascii=False))
        first = False
    out.write('\n],\n"summary": ' + dumps(summary.to_dict(), ensure_ascii=False, indent=1) + "}\n")


def _rows(count: int, noun: str = "row") -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _summary_text(s: records_service.Summary) -> str:
    encoding = f", {s.encoding}" if s.encoding else ""
    lines = [f"{s.file} ({s.format}{encoding}; layout {s.source}: {s.layout}): {_rows(s.rows)} read: "
             f"{s.valid:,} valid, {s.warnings:,} with warnings, {s.rejected:,} rejected."]
    extra = []
    if s.blank:
        extra.append(f"{_rows(s.blank, 'blank row')} skipped")
    if s.header_row > 1:
        extra.append(f"header found in row {s.header_row} (rows above it skipped)")
    if s.by_code:
        top = sorted(s.by_code.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        extra.append("most frequent: " + ", ".join(f"{k} {v:,}" for k, v in top))
    if extra:
        text = "; ".join(extra)
        lines.append(text[0].upper() + text[1:] + ".")
    if s.ignored:
        lines.append("Columns not in the layout, not checked: " + ", ".join(s.ignored) + ".")
    return "\n".join(lines)


@app.command("check")
def check_records(
    file: str = typer.Argument(..., help="A CSV (UTF-8 or GB18030), XLSX, JSON Lines or XML file."),
    source: Optional[str] = typer.Option(  # noqa: UP045
        None, "--source", "-s", help="The sending department as <region>/<department>, e.g. "
        "hebei/market-regulation; 'standard' (the default) for the standard layout."),
    layout: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--layout", help="A layout (crosswalk YAML) file for a department without a shipped one "
        "(`jjjcredit records layout` starts one)."),
    report: Optional[Path] = typer.Option(  # noqa: UP045 - Typer needs Optional here
        None, "--report", "-r", help="Write every problem to this file (.json, .jsonl or .csv, the last "
                                     "for Excel: see --csv-encoding) instead of stdout (JSON Lines)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
) -> None:
    """Check every row of a department's file; problems to stdout or --report, a summary to stderr.

    Exit 0 when no row is rejected, 1 when any is (or, with --strict, has warnings), 2 when the
    file, its header or the options cannot be used.
    """
    settings = Settings.from_env()
    encoding = output.csv_encoding(csv_encoding)
    crosswalk = crosswalks.load(source, settings.crosswalks_dir, layout)
    kind = report.suffix.lower() if report is not None else ".jsonl"
    if kind not in REPORT_FORMATS:
        output.fail("usage.report", f'--report "{report}": expected a file name ending in .json, .jsonl or .csv.')
    if report is not None and not report.resolve().parent.is_dir():
        output.fail("usage.report", f"{report}: cannot be written (its folder does not exist).")
    summary = records_service.Summary()
    failure: list[files.InputFileError | LayoutError] = []

    def guarded(problems: Iterator[Problem]) -> Iterator[Problem]:
        try:
            yield from problems
        except (files.InputFileError, LayoutError) as exc:  # the file stops being readable mid-way
            failure.append(exc)
            summary.error = {"code": exc.code, "message": exc.message}

    # Millions of short-lived objects and no reference cycles: the cycle collector would only
    # walk them over and over (about a tenth of the run time on a million rows).
    gc.disable()
    try:
        problems = records_service.check_file(file, crosswalk, summary, limits=settings.limits)
        # The header is bound (or the file refused) at the first step, before a report is created.
        first = list(itertools.islice(problems, 1))
        try:
            if report is None:
                _write_problems(guarded(itertools.chain(first, problems)), sys.stdout, kind, summary)
                sys.stdout.flush()
            else:
                try:
                    out = (excel_csv.csv_text(report.open("wb"), encoding) if kind == ".csv"
                           else report.open("w", encoding="utf-8", newline=""))
                except OSError as exc:
                    output.fail("usage.report", f"{report}: cannot be written ({exc.strerror}).")
                with out:
                    _write_problems(guarded(itertools.chain(first, problems)), out, kind, summary)
        except BrokenPipeError:
            sys.stderr.close()
            raise SystemExit(output.EXIT_OK) from None
        if failure:
            if summary.rows:
                output.note(_summary_text(summary))
            output.fail(failure[0].code, failure[0].message)
        if summary.rows == 0:
            output.fail("file.no_rows", f"{summary.file}: has a header but no rows to check"
                        + (f" ({summary.blank:,} blank rows)" if summary.blank else "") + ".")
        output.note(_summary_text(summary))
        if report is not None:
            output.note(f"Problems: {report} ({summary.problems:,}).")
        failed = summary.rejected or (strict and summary.warnings)
        raise SystemExit(output.EXIT_NO if failed else output.EXIT_OK)
    finally:
        gc.enable()


@app.command("layout")
def start_layout(
    file: str = typer.Argument(..., help="A file of the department: CSV, XLSX, JSON Lines or XML."),
    source: str = typer.Option(..., "--source", "-s", help="The department as <region>/<department>, e.g. "
                               "beijing/education (lower-case words joined by hyphens)."),
) -> None:
    """Write a starter layout (crosswalk YAML) for a department's files to stdout, from FILE's header.

    Headers the standard layout or a shipped layout knows are mapped (with their transforms); the rest
    are left as TODO comments for the engineer, and required elements with no column are named. Edit it,
    then use it with `records check --layout FILE` and `library ingest --layout FILE`.
    """
    settings = Settings.from_env()
    sys.stdout.write(crosswalks.starter_layout(file, source, settings.limits))


@app.command("sources")
def list_sources() -> None:
    """List the sources (region/department) that have a crosswalk, with each layout's title."""
    settings = Settings.from_env()
    for source in crosswalks.sources(settings.crosswalks_dir):
        try:
            title = crosswalks.load(source, settings.crosswalks_dir).title
        except CrosswalkError as exc:
            title = f"error [{exc.code}]: {exc.message}"
        sys.stdout.write(f"{source}\t{title}\n")
