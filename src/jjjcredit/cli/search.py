"""``jjjcredit search``: find organizations by name, initials or code prefix; refresh the search keys."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from jjjcredit.cli import access, database, output
from jjjcredit.services.library import search
from jjjcredit.services.sharing import disclosure

app = typer.Typer(no_args_is_help=True)


@app.command("find")
def find(
    text: str = typer.Argument(..., help="A name or part of one, pinyin initials, or the start of a code."),
    region: Optional[str] = typer.Option(None, "--region", help="GB/T 2260 code or its start: 13, 1301."),  # noqa: UP045
    department: Optional[str] = typer.Option(None, "--department", help="Position 1 of the code, e.g. 9."),  # noqa: UP045
    status: Optional[str] = typer.Option(None, "--status", help="A status code (1) or word (存续)."),  # noqa: UP045
    limit: int = typer.Option(20, "--limit", help=f"At most this many (1-{search.MAX_LIMIT})."),
    level: Optional[int] = access.LEVEL_OPTION,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """The best matches, best first, as JSON lines: code, name, score, kind of match, status and the
    organization's elements (as --level allows)."""
    engine = database.ready_engine(url)
    filters = search.match_filters(region, department, status)
    with engine.connect() as conn:
        hits = disclosure.search_organizations(conn, access.caller(level), text, filters, limit)
    for hit in hits:
        sys.stdout.write(json.dumps({"code": hit.code, "name": hit.name, "score": hit.score, "match": hit.match,
                                     "status": hit.organization.get("status"), "organization": hit.organization},
                                    ensure_ascii=False, default=str) + "\n")
    if not hits:
        output.note(f'Nothing answers "{text}".')


@app.command("refresh")
def refresh(
    rebuild: bool = typer.Option(False, "--rebuild", help="Throw every key away and index the whole library."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Bring the search keys up to the library's change feed (ingest does this after each batch; run it
    after an interrupted ingest, or with --rebuild after changing how names are normalized)."""
    engine = database.ready_engine(url)
    done = search.reindex(engine) if rebuild else search.refresh(engine)
    sys.stdout.write(json.dumps({"indexed": done.indexed, "position": done.position, "seconds": done.seconds}) + "\n")
