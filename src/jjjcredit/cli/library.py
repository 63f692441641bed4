"""``jjjcredit library``: ingest department files, show an organization, statistics, rejects."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from jjjcredit.cli import access, database, output
from jjjcredit.core import cells
from jjjcredit.core.codes import uscc
from jjjcredit.services.library import crosswalks, library, quality
from jjjcredit.services.sharing import disclosure
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)


@app.command("ingest")
def ingest_file(
    file: str = typer.Argument(..., help="A department file: CSV, XLSX, JSON Lines or XML."),
    source: Optional[str] = typer.Option(  # noqa: UP045
        None, "--source", help="region/department, e.g. hebei/market-regulation (or the source of --layout)."),
    layout: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--layout", help="A layout (crosswalk YAML) file for a department without a shipped one "
        "(`jjjcredit records layout` starts one)."),
    batch_id: Optional[str] = typer.Option(None, "--batch-id", help="Your id for this batch."),  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Ingest a file as one batch; print {batch, rows, created, updated, unchanged, rejected, ...} as JSON.

    Exit 0 when no row was rejected, or when the identical file (or the batch id) was ingested before
    and nothing changed; 1 when rows were rejected; 2 when the file cannot be used."""
    if source is None and layout is None:
        output.fail("usage", "Missing option '--source' (or '--layout FILE'): the department the file comes "
                    "from, e.g. --source hebei/market-regulation (see `jjjcredit library ingest --help`).")
    engine = database.existing_engine(url)
    settings = Settings.from_env()
    layouts, aside = settings.crosswalks_dir, settings.read_aside_bytes
    if output.stderr_is_terminal():
        with Progress(SpinnerColumn(), TextColumn("ingesting {task.completed:,} rows"), TimeElapsedColumn(),
                      console=output.stderr, transient=True) as bar:
            task = bar.add_task("ingest", total=None)
            summary = library.ingest_file(engine, file, source, batch_id,
                                          progress=lambda n: bar.update(task, completed=n),
                                          crosswalks_dir=layouts, read_aside_bytes=aside, limits=settings.limits,
                                          layout=layout)
    else:
        summary = library.ingest_file(engine, file, source, batch_id, crosswalks_dir=layouts,
                                      read_aside_bytes=aside, limits=settings.limits, layout=layout)
    data = summary.to_dict()
    shown = {k: data[k] for k in ("batch", "rows", "created", "updated", "unchanged", "rejected", "warnings",
                                  "conflicts", "seconds")}
    if summary.already_ingested:  # the counts are the earlier batch's; this run wrote nothing
        shown["already_ingested"] = True
    shown["search"] = {"indexed": summary.search_indexed, "seconds": summary.search_seconds}
    if summary.quality_sampled:
        shown["quality_sample"] = {"records": summary.quality_sampled, "failures": summary.quality_failures}
    output.json_out(shown | ({"note": summary.note} if summary.note else {}))
    if summary.note:
        output.note(summary.note)
    # The same file again is not an error: nothing was judged anew, nothing changed.
    raise SystemExit(output.EXIT_NO if summary.rejected and not summary.already_ingested else output.EXIT_OK)


@app.command("show")
def show_organization(code: str = typer.Argument(...), level: Optional[int] = access.LEVEL_OPTION,  # noqa: UP045
                      url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """The current record of a code, where it came from, its history, former names and conflicts."""
    checked = uscc.check(code)
    if checked.errors:
        first = checked.errors[0]
        hint = " ".join(s.code for s in uscc.suggest(code))
        output.fail(first.code, first.message + (f" Did you mean: {hint}" if hint else ""))
    with database.ready_engine(url).connect() as conn:
        shown = disclosure.show_organization(conn, access.caller(level), checked.compact)
    if shown is None:
        output.fail("library.not_found", f"{checked.compact} is a valid code, but no provider has sent it.")
    output.json_out(shown)


@app.command("stats")
def show_stats(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Counts by status and source, the feed's last sequence number, the recent batches."""
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        output.json_out(library.stats(conn))


@app.command("rejects")
def show_rejects(
    batch: str = typer.Argument(..., help="The batch id that `library ingest` printed."),
    fmt: str = typer.Option("json", "--format", help="json or csv"),
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """The rejected rows of a batch: row number, reasons and the original values, so they can be fixed."""
    if fmt not in ("json", "csv"):
        output.fail("usage.format", f'--format "{fmt}" is not known: expected json or csv.')
    encoding = output.csv_encoding(csv_encoding)
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        rows = list(library.batch_rejects(conn, batch))
    if fmt == "json":
        output.json_out(rows)
        return
    originals: list[str] = []
    for r in rows:
        originals += [k for k in r["original"] if k not in originals]
    with output.csv_stdout(encoding) as out:
        writer = csv.writer(out, lineterminator="\n")
        # One line per rejected row, as the provider will fix it: its problems in one cell, one a line.
        writer.writerow(cells.guarded(["row", "codes", "problems", *originals]))
        for r in rows:
            problems = r["problems"]
            writer.writerow(cells.guarded([r["row"], " ".join(dict.fromkeys(p["code"] for p in problems)),
                                           "\n".join(f'{p["field"]}: {p["message"]}' if p["field"] else p["message"]
                                                     for p in problems),
                                           *[r["original"].get(k, "") for k in originals]]))


@app.command("quality")
def show_quality(
    source: Optional[str] = typer.Option(None, "--source", help="Only this provider."),  # noqa: UP045
    fmt: str = typer.Option("json", "--format", help="json or md"),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """The data-quality scorecard: per provider and per region, the share of records passing each rule."""
    if fmt not in ("json", "md"):
        output.fail("usage.format", f'--format "{fmt}" is not known: expected json or md.')
    if source is not None:
        crosswalks.require_source(source, standard=False)
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        card = quality.scorecard(conn, source)
    if fmt == "json":
        output.json_out(card)
    else:
        sys.stdout.write(quality.markdown(card))
