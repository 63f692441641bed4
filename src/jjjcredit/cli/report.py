"""``jjjcredit report``: issue an organization's credit report (JSON or PDF, signed, what the public
— or with ``--level`` an application party — may see); check a report file offline; tell whether a
number was issued. ``jjjcredit report CODE …`` is ``jjjcredit report issue CODE …``."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typer._click.core import Context
from typer.core import TyperGroup

from jjjcredit.cli import database, output
from jjjcredit.cli.evidence import key_box, read_json
from jjjcredit.core.codes import uscc
from jjjcredit.core.errors import Error
from jjjcredit.core.library import elements
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import report_signature as signature
from jjjcredit.services.sharing import audit, evidence, report
from jjjcredit.settings import DEFAULT_PUBLIC_URL, Settings

#: Where reports issued at the command line point when JJJCREDIT_REPORT_BASE_URL is not set: the
#: address ``jjjcredit serve`` listens on by default.
DEFAULT_BASE_URL = DEFAULT_PUBLIC_URL


class _Group(TyperGroup):
    """``report CODE`` stands for ``report issue CODE``: a first word that is no command is a code."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["issue", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(no_args_is_help=True, cls=_Group)


def _day(text: str | None, option: str) -> datetime.date | None:
    return None if text is None else output.day(text, option)


@app.command("issue")
def issue_report(
    code: str = typer.Argument(..., help="The organization's unified social credit code."),
    fmt: str = typer.Option("json", "--format", help="json or pdf."),
    out: Optional[Path] = typer.Option(None, "--out", help="The file to write (default: standard output; "  # noqa: UP045
                                       "a PDF only when it is not a terminal)."),
    special: bool = typer.Option(False, "--special", help="The special report (in place of compliance "
                                 "certificates): penalties, coercive measures, serious-dishonesty lists."),
    start: Optional[str] = typer.Option(None, "--from", help="The special report's first day, YYYY-MM-DD "  # noqa: UP045
                                        "(default: five years before its last)."),
    end: Optional[str] = typer.Option(None, "--to", help="The special report's last day (default: today)."),  # noqa: UP045
    domains: str = typer.Option("", "--domains", help="The special report's domains, comma-separated (default: "
                                "every domain)."),
    level: Optional[int] = typer.Option(  # noqa: UP045
        None, "--level", min=min(elements.SECURITY_LEVELS), max=max(elements.SECURITY_LEVELS),
        help="Issue the report an application party with this security level and the records service sees "
        "(default: the public's)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Issue a credit report of an organization, numbered and signed: the file to --out (then its number
    to stdout) or to standard output. The report's QR code points to JJJCREDIT_REPORT_BASE_URL (default
    http://127.0.0.1:8000)/api/v1/reports/NUMBER."""
    fmt = report.check_format(fmt.strip().lower())
    if fmt == "pdf" and out is None and sys.stdout.isatty():
        output.fail("usage.out", "A PDF is not written to a terminal: give --out FILE (or redirect the output).")
    asked = report.Asked("special" if special else "standard", _day(start, "--from"), _day(end, "--to"),
                         tuple(d for d in domains.split(",") if d.strip()))
    caller = access.PUBLIC if level is None else access.client_at(level)
    base = Settings.from_env().report_base_url or DEFAULT_BASE_URL
    partial = None if out is None else out.with_name(out.name + ".partial")
    with database.ready_engine(url).begin() as conn:
        issued = report.issue_report(conn, caller, code, fmt=fmt, box=key_box(), base_url=base, asked=asked)
        audit.record_command(conn, "jjjcredit report issue", "records", [uscc.compact(code)])  # the subject's log
        if out is not None and partial is not None:  # written before the report is kept as issued, or not kept
            try:
                partial.write_bytes(issued.content)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)
                raise Error("usage.out", f'Cannot write "{out}": {exc.strerror or exc}; no report was issued.',
                            field="--out") from None
    if out is not None and partial is not None:
        os.replace(partial, out)
        print(issued.number)  # the file is elsewhere: its number is the data
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(issued.content)
        sys.stdout.buffer.flush()
    output.note(f"Report {issued.number} issued ({fmt}" + (f", {out}" if out else "") + ").")


def _keys(keys: str | None, url: str | None) -> dict[str, str]:
    if keys is not None:
        return evidence.key_map(read_json(keys, "keys"))
    with database.ready_engine(url).connect() as conn:
        return report.published_keys(conn)


@app.command("verify")
def verify_file(
    file: Path = typer.Argument(..., help="A report file (PDF or JSON) as it was issued."),
    keys: Optional[str] = typer.Option(None, "--keys",  # noqa: UP045
                                       help="A saved copy of /api/v1/keys, or its URL; default: the database."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Check a report file offline: its hash, the form it was issued in, and its signature against the
    published keys. Exit 0 it verifies (what it is goes to stdout as JSON), 1 it was altered (and how),
    2 it cannot be read or is not a report."""
    try:
        if file.is_dir():
            output.fail("file.is_directory", f'"{file}" is a folder: expected a report file (PDF or JSON).')
        size = file.stat().st_size
        if size > signature.MAX_FILE_BYTES:
            output.fail("report.file", f'"{file}" is {size:,} bytes: a report file is at most '
                        f"{signature.MAX_FILE_BYTES:,} bytes (its reports are tens of kilobytes), so this is not one.")
        data = file.read_bytes()
    except OSError as exc:
        output.fail("file.not_found", f'Cannot read "{file}": {exc.strerror or exc}.')
    shown: dict[str, Any] = report.verify_file(data, _keys(keys, url))
    sys.stdout.write(json.dumps(shown, ensure_ascii=False, indent=2) + "\n")
    output.note(f'The report verifies: {shown["number"]}, issued {shown["issued_at"]} for '
                f'{shown["subject"]["name"]} ({shown["subject"]["code"]}), signed with key "{shown["key_id"]}".')


@app.command("number")
def verify_number(
    number: str = typer.Argument(..., help="A report number, e.g. JJJ-2026-7K3MQ9XA-B."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Whether a report with this number was issued: when, for whom, covering what, the hash of each
    file (what GET /api/v1/reports/NUMBER answers), as JSON."""
    with database.ready_engine(url).connect() as conn:
        found = report.verify_number(conn, number)
    sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=2) + "\n")
