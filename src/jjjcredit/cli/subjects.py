"""``jjjcredit subjects``: a credit subject's own view — a one-time code for the subject to open its
session with (``POST /api/v1/me/session``; the command prints it in place of the message a deployment
sends to the person or the organization's registered representative), and the subject's query log
(who looked at it), as the staff reads it."""

from __future__ import annotations

from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.cli.evidence import key_box
from jjjcredit.services.sharing import personal_keys, subjects
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)

SUBJECT = output.SUBJECT_ARGUMENT


@app.command("code")
def issue_code(
    code: str = SUBJECT,
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Make a one-time code for a subject's own view (valid 10 minutes, 5 tries; an earlier unused code is
    spent): prints the subject key, to whom it goes, the code and until when, as JSON."""
    subject = output.subject_text(code)
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        issued = subjects.issue_code(conn, subject, personal_keys.protector(conn, key_box()))
    output.json_out({"subject": issued.subject_key, "sent_to": issued.sent_to, "code": issued.digits,
           "expires_at": issued.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    output.note(f"Give the code to {issued.sent_to}: POST /api/v1/me/session with the subject and the code.")


@app.command("queries")
def query_log(
    code: str = SUBJECT,
    before: Optional[int] = typer.Option(None, "--before", min=1, help="Only entries before this seq "  # noqa: UP045
                                         "(the last seq of the previous page)."),
    limit: int = typer.Option(subjects.QUERY_PAGE, "--limit", min=1, max=subjects.QUERY_PAGE),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Who looked at a subject, newest first, as JSON: every call about it in the audit trail within the
    retention period (JJJCREDIT_AUDIT_RETENTION_DAYS) — the application party and its purpose, the staff,
    the public by address class, the subject itself — with the catalogue items and the outcome."""
    subject = output.subject_text(code)
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        key = subjects.subject_of(subject, personal_keys.protector(conn, key_box()))
        log = subjects.query_log(conn, key, Settings.from_env().audit_retention_days, before=before, limit=limit)
    output.json_out(log)
    if not log["queries"]:
        output.note("No query about this subject within the retention period.")
