"""``jjjcredit audit``: check the audit trail's hash chain end to end (and against saved checkpoints),
sign a checkpoint of its head, export it and its checkpoints, purge it."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.cli.evidence import read_json
from jjjcredit.services.sharing import audit, evidence
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)



@app.command("verify")
def verify_trail(
    checkpoints: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--checkpoints", help="Checkpoints saved outside the database (the JSON list of "
        "/api/v1/audit/checkpoints or `audit checkpoints`): finds a trail rewritten or cut short up to them."),
    keys: Optional[str] = typer.Option(  # noqa: UP045
        None, "--keys", help="With --checkpoints: a saved copy of /api/v1/keys (or its URL) to check their "
        "signatures with; default: the database's own keys."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Check every entry's hash and link, first to last (and against saved checkpoints): exit 0 intact,
    1 broken (each break located)."""
    published = evidence.key_map(read_json(keys, "keys")) if keys is not None else None
    saved = None
    if checkpoints is not None:
        try:
            saved = json.loads(checkpoints.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            output.fail("audit.checkpoints", f'--checkpoints "{checkpoints}" cannot be read as JSON ({exc}): save the '
                        "body of /api/v1/audit/checkpoints or the output of `jjjcredit audit checkpoints`.")
    with database.ready_engine(url).connect() as conn:
        problems = audit.verify_trail(conn)
        if saved is not None:
            problems += audit.verify_checkpoints(conn, saved, published)
        count = audit.count_entries(conn)
    if problems:
        for p in problems:
            output.note(f"entry {p.seq}: {p.kind}: {p.message}")
        output.fail("audit.chain", f"The audit trail is broken in {len(problems)} place"
                    f"{'s' if len(problems) > 1 else ''} (listed above); the first at entry {problems[0].seq}.",
                    output.EXIT_NO)
    against = f"; {len(saved)} saved checkpoints match" if isinstance(saved, list) else ""
    output.note(f"The audit trail is intact: {count} entr{'y' if count == 1 else 'ies'}, every hash and link "
                f"checked{against}.")


@app.command("checkpoint")
def make_checkpoint(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Sign a checkpoint of the trail's head now (with the evidence key; needs the operator secret) and
    print it as JSON. Keep the checkpoints outside the database (`audit checkpoints`)."""
    secret = Settings.from_env().signing_key_secret  # an unreadable secret file: evidence.no_secret
    box = evidence.KeyBox(secret) if secret else None
    with database.ready_engine(url).begin() as conn:
        made = audit.make_checkpoint(conn, box)
    if made is None:
        output.fail("audit.empty", "The audit trail is empty: there is no head to sign yet.", output.EXIT_NO)
    sys.stdout.write(json.dumps(made, ensure_ascii=False) + "\n")
    output.note(f"Checkpoint of entry {made['seq']} signed with key \"{made['key_id']}\".")


@app.command("checkpoints")
def list_checkpoints(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Every checkpoint as one JSON list on stdout (what /api/v1/audit/checkpoints serves): save it
    outside the database, for `audit verify --checkpoints FILE`."""
    with database.ready_engine(url).connect() as conn:
        found = audit.list_checkpoints(conn)
    sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=1) + "\n")


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
