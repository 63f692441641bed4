"""``jjjcredit demo-data``: write synthetic department files in the departments' own layouts."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from jjjcredit.cli import output
from jjjcredit.services.credit import demo_data as credit_demo_data
from jjjcredit.services.library import demo_data

app = typer.Typer()


@app.callback(invoke_without_command=True)
def demo_data_command(
    count: int = typer.Option(..., "--count", "-n", help="How many organizations (rows, before mistakes "
                              "and name-change rows)."),
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write the files into (created if "
                             "missing; files of the same name are replaced)."),
    seed: int = typer.Option(0, "--seed", help="The same seed writes byte-identical files."),
    regions: str = typer.Option("beijing,tianjin,hebei", "--regions",
                                help="Comma-separated regions: beijing, tianjin, hebei."),
    mistakes: float = typer.Option(0.01, "--mistakes", help="Share of rows with a mistake real files contain "
                                   "(code typo, impossible date, duplicate row), 0 to 0.5; above 0, one file "
                                   "also gets a block of rows in another encoding."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Processes to use; the files are the same for any number."),
    credit: bool = typer.Option(True, "--credit/--no-credit", help="Also write credit records (penalties, "
                                "licences, list entries, commendations) about these organizations into credit/, "
                                "with their own mistakes listed in the manifest's credit section."),
) -> None:
    """Write one CSV per region × department in that department's layout and encoding, a
    ``-changes.csv`` batch for organizations that changed their name, and ``manifest.json``
    (files, rows, seed, every injected mistake); with ``--credit`` (the default) also credit record
    files in ``credit/``, one per item and provider, for ``jjjcredit credit ingest``. All data is
    synthetic: codes valid by construction, identity numbers that pass the check but belong to nobody."""
    chosen = [r.strip() for r in regions.split(",") if r.strip()]
    started = time.perf_counter()
    try:
        manifest = demo_data.write_demo_data(out, count, seed, chosen, mistakes, jobs=jobs)
        credit_manifest = credit_demo_data.write_credit_data(out, manifest) if credit else None
    except OSError as exc:
        output.fail("usage.out", f"{out}: cannot write there ({exc.strerror or exc}); name a folder you can write to.")
    seconds = time.perf_counter() - started
    found = manifest.mistakes()
    listed = ", ".join(f"{kind.replace('_', ' ')} {n:,}" for kind, n in found.items() if n) or "none"
    output.note(f"{manifest.count:,} organizations, {manifest.rows:,} rows in {len(manifest.files)} files "
                f"({manifest.name_changes:,} name changes in -changes.csv batches) written to {out} "
                f"in {seconds:.1f} s; mistakes: {listed}; see {out / 'manifest.json'}.")
    if credit_manifest is not None:
        output.note(f"{credit_manifest.rows:,} credit records in {len(credit_manifest.files)} files written to "
                    f"{out / credit_demo_data.FOLDER} ({credit_manifest.mistakes():,} with a mistake, listed in the "
                    "manifest's credit section).")
