"""``jjjcredit clients``: application parties and their API keys."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.services.sharing import clients

app = typer.Typer(no_args_is_help=True)



@app.command("add")
def add_client(
    name: str = typer.Argument(..., help="The application party (department)."),
    services: str = typer.Option(..., "--services", help="e.g. verify,lookup,search,changes"),
    level: int = typer.Option(1, "--level", help="Security-level ceiling: 1 public, 2 sharing, 3 restricted."),
    items: Optional[str] = typer.Option(  # noqa: UP045
        None, "--items", help="Catalogue items whose credit records it is granted, e.g. JJJ-03-001,JJJ-02-001 "
        "(default: every item within its level)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Create a client; its API key is printed once, now (only its hash is kept)."""
    with database.ready_engine(url).begin() as conn:
        client, key = clients.add_client(conn, name, services, level, items)
    sys.stdout.write(json.dumps({"name": client.name, "services": sorted(client.services), "level": client.level,
                                 "items": _items(client), "api_key": key}, ensure_ascii=False) + "\n")
    output.note("Keep the API key now: it is not shown again.")


def _items(client: clients.Client) -> list[str] | None:
    return None if client.items is None else sorted(client.items)


@app.command("grant")
def grant_items(
    name: str = typer.Argument(..., help="The client (application party) whose item grant is set."),
    items: Optional[str] = typer.Option(  # noqa: UP045
        None, "--items", help="Catalogue items whose credit records it is granted, e.g. JJJ-03-001,JJJ-02-001."),
    all_items: bool = typer.Option(False, "--all-items", help="Every item within its level (no item grant)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Set the catalogue items whose credit records a client is granted, at once; its key stays."""
    if (items is None) == (not all_items):
        output.fail("usage", "Name the items with --items CODE,CODE or grant every item within the client's level "
                    "with --all-items: one of the two (see `jjjcredit clients grant --help`).")
    with database.ready_engine(url).begin() as conn:
        client = clients.grant_items(conn, name, None if all_items else items)
    sys.stdout.write(json.dumps({"name": client.name, "items": _items(client)}, ensure_ascii=False) + "\n")
    shown = "every item within its level" if client.items is None else ", ".join(sorted(client.items))
    output.note(f'client "{client.name}" is granted the credit records of {shown}.')


@app.command("list")
def list_clients(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Every client, its services, level, items and whether it is revoked (never the keys)."""
    with database.ready_engine(url).connect() as conn:
        rows = clients.list_clients(conn)
    for c in rows:
        state = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else "active"
        items = "all items" if c.items is None else "items " + ",".join(sorted(c.items))
        print(f"{c.name}\t{','.join(sorted(c.services))}\tlevel {c.level}\t{items}\tkey jjj_{c.key_prefix}_…"
              f"\t{state}")


@app.command("rotate")
def rotate_client(
    name: str = typer.Argument(..., help="The client (application party) whose key is replaced."),
    grace_hours: float = typer.Option(24.0, "--grace-hours", help="How long the old key still works (0: not at all)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Give a client a new API key, printed once, now; the old key works for the grace period, then is refused."""
    with database.ready_engine(url).begin() as conn:
        client, key, until = clients.rotate_client(conn, name, grace_hours)
    sys.stdout.write(json.dumps({"name": client.name, "api_key": key,
                                 "old_key_valid_until": f"{until:%Y-%m-%dT%H:%M:%SZ}"}, ensure_ascii=False) + "\n")
    output.note(f"Keep the new API key now: it is not shown again. The old key works until {until:%Y-%m-%d %H:%M} "
                "UTC.")


@app.command("revoke")
def revoke_client(name: str = typer.Argument(...), url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Revoke a client's key at once."""
    with database.ready_engine(url).begin() as conn:
        clients.revoke_client(conn, name)
    output.note(f'client "{name}" revoked.')
