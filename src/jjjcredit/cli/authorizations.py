"""``jjjcredit authorizations``: a credit subject's authorizations for an application party to query
its non-public credit records — recorded from the signed form, listed, revoked."""

from __future__ import annotations

from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.cli.evidence import key_box
from jjjcredit.services.sharing import authorizations, personal_keys

app = typer.Typer(no_args_is_help=True)

SUBJECT = output.SUBJECT_ARGUMENT


@app.command("add")
def add_authorization(
    code: str = SUBJECT,
    party: str = typer.Option(..., "--party", help="The application party it is given to: its client name."),
    purpose: str = typer.Option(..., "--purpose", help="What the subject authorizes the query for."),
    items: str = typer.Option(..., "--items", help="The catalogue items it covers, comma-separated "
                              "(JJJ-03-001,JJJ-04-001)."),
    valid_from: str = typer.Option(..., "--from", help="Its first valid day (YYYY-MM-DD)."),
    valid_until: str = typer.Option(..., "--until", help="Its last valid day (YYYY-MM-DD)."),
    proof: str = typer.Option(..., "--proof", help="Where its proof is kept: the signed form's archive number."),
    by: str = typer.Option(..., "--by", help="Who records it."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Record a subject's authorization from its signed form; prints it as JSON with its id (what an
    authorized query names)."""
    first, last = output.day(valid_from, "--from"), output.day(valid_until, "--until")
    subject = output.subject_text(code)
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        found = authorizations.add_authorization(conn, subject, party, purpose, items.split(","), first, last, proof,
                                                 by, personal_keys.protector(conn, key_box()))
    output.json_out(authorizations.to_dict(found))


@app.command("list")
def list_authorizations(
    code: str = SUBJECT,
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """A subject's authorizations as JSON, the newest first (revoked ones with the day)."""
    subject = output.subject_text(code)
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        found = authorizations.list_authorizations(conn, subject, personal_keys.protector(conn, key_box()))
    output.json_out([authorizations.to_dict(a) for a in found])


@app.command("revoke")
def revoke_authorization(
    authorization: str = typer.Argument(..., help="The authorization's id."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with it)."),
    on: Optional[str] = typer.Option(None, "--on", help="The first day it is refused (YYYY-MM-DD; "  # noqa: UP045
                                     "default today)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Revoke an authorization: from that day every query naming it is refused."""
    day = output.day(on, "--on")
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        found = authorizations.revoke_authorization(conn, authorization, reason, day)
    output.json_out(authorizations.to_dict(found))
