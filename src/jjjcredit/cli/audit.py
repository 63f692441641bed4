"""``jjjcredit audit``: check the audit trail's hash chain end to end, export it, purge it."""

from __future__ import annotations

import datetime
import sys
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.services.sharing import audit
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)



@app.command("verify")
def verify_trail(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Check every entry's hash and link, first to last: exit 0 intact, 1 broken (each break located)."""
    with database.ready_engine(url).connect() as conn:
        problems = audit.verify_trail(conn)
        count = audit.count_entries(conn)
    if problems:
        for p in problems:
            output.note(f"entry {p.seq}: {p.kind}: {p.message}")
        output.fail("audit.chain", f"The audit trail is broken in {len(problems)} place"
                    f"{'s' if len(problems) > 1 else ''} (listed above); the first at entry {problems[0].seq}.",
                    output.EXIT_NO)
    output.note(f"The audit trail is intact: {count} entr{'y' if count == 1 else 'ies'}, every hash and link checked.")


@app.command("export")
def export_since(
    since: str = typer.Option(..., "--since", help="Entries at or after this day or time (YYYY-MM-DD, ISO, UTC)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """The entries as JSON Lines on stdout, in sequence order, with their hashes."""
    try:
        start = datetime.datetime.fromisoformat(since)
    except ValueError:
        output.fail("audit.since", f'--since "{since}" is not a date: expected YYYY-MM-DD or an ISO time.')
    with database.ready_engine(url).connect() as conn:
        for line in audit.export_since(conn, start):
            sys.stdout.write(line)


@app.command("purge")
def purge_older_than(
    days: Optional[int] = typer.Option(None, "--older-than-days",  # noqa: UP045
                                       help="Default: the retention setting (JJJCREDIT_AUDIT_RETENTION_DAYS)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Delete entries older than the retention period (default 10 years); the rest still verifies."""
    keep = days if days is not None else Settings.from_env().audit_retention_days
    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=keep)
    with database.ready_engine(url).begin() as conn:
        gone = audit.purge_older_than(conn, cutoff)
    output.note(f"Purged {gone} entr{'y' if gone == 1 else 'ies'} older than {cutoff:%Y-%m-%d} ({keep} days).")
