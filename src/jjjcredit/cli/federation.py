"""``jjjcredit federation``: the three nodes' changes between each other — the relay publishing this node's
own changes to the broker, the follower applying its peers', a pull over HTTPS for a peer without the broker,
the state hash and the lag per peer."""

from __future__ import annotations

import time
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.cli.evidence import key_box
from jjjcredit.core.federation.messages import FederationError
from jjjcredit.services.federation import broker, follow, pull, relay, state, status
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)


def _broker(settings: Settings) -> broker.Broker:
    return broker.Broker(settings.nats_url, settings.federation_prefix, ack_wait=settings.federation_ack_seconds,
                         message_changes=settings.limits.federation_message_changes,
                         data_bytes=settings.limits.exchange_file_bytes, compress=settings.federation_compress)


ONCE = typer.Option(False, "--once", help="One pass, then exit (default: again every --interval seconds "
                    "until Ctrl-C).")
INTERVAL = typer.Option(2.0, "--interval", help="Seconds between passes.", min=0.1)


@app.command("relay")
def relay_changes(once: bool = ONCE, interval: float = INTERVAL,
                  url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Publish this node's own changes (organizations of its region, its credit records) to its stream on
    the broker, each kind's after the position the broker acknowledged; print each message sent."""
    settings = Settings.from_env()
    engine = database.ready_engine(url)
    box = key_box()
    while True:
        try:
            for sent in relay.relay_once(engine, _broker(settings), node=settings.node, box=box):
                output.json_out(sent.to_dict())
        except FederationError as exc:
            if once or exc.code != "federation.broker":
                raise
            output.note(f"{exc.message} Trying again in {interval:g} s.")  # the loop outlives a broker outage
        if once:
            return
        time.sleep(interval)


@app.command("follow")
def follow_peers(once: bool = ONCE, interval: float = INTERVAL,
                 peer: Optional[list[str]] = typer.Option(None, "--peer", help="Follow this peer only "  # noqa: UP045
                                                          "(repeatable; default: every exchange peer)."),
                 limit: int = typer.Option(1000, "--limit", min=1, help="Messages taken from each peer a pass "
                                           "at most."),
                 url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Apply the peers' changes from their streams (a durable consumer each: a node that was down starts where
    it stopped); print what each message became. Exit 1 when a message was refused."""
    settings = Settings.from_env()
    engine = database.ready_engine(url)
    while True:
        refused = []
        try:
            taken = follow.follow_once(engine, _broker(settings), node=settings.node, peers=peer or None,
                                       limit=limit)
        except FederationError as exc:
            if once or exc.code != "federation.broker":
                raise
            output.note(f"{exc.message} Trying again in {interval:g} s.")
            taken = []
        for followed in taken:
            if followed.outcomes or followed.stopped:
                output.json_out(followed.to_dict())
            refused += [o.reason for o in followed.outcomes if o.status == "refused" and o.reason is not None]
        if once:
            if refused:
                output.fail(refused[0].code, refused[0].message)
            return
        time.sleep(interval)


@app.command("pull")
def pull_changes(base_url: str = typer.Argument(..., help="The peer's server (https://…)."),
                 key: str = typer.Option(..., "--key", help="This node's client key at the peer (granted "
                                         "federation)."),
                 peer: str = typer.Option(..., "--peer", help="The peer's node name (its packages are signed so)."),
                 url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Pull the peer's own changes over HTTPS after what this node applied from it, and apply them as the
    follower does; print each kind's outcome. Exit 1 when one was refused."""
    settings = Settings.from_env()
    outcomes = pull.pull(database.ready_engine(url), base_url, key, node=settings.node, peer=peer)
    output.json_out([o.to_dict() for o in outcomes])
    for outcome in outcomes:
        if outcome.reason is not None and outcome.status == "refused":
            output.fail(outcome.reason.code, outcome.reason.message)


@app.command("state")
def state_hash(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Print this node's state hash over organizations and credit records, with the counts it covers."""
    with database.ready_engine(url).connect() as conn:
        output.json_out(state.state_of(conn))


@app.command("status")
def federation_status(refresh: bool = typer.Option(False, "--refresh", help="Ask the broker for each peer "
                                                   "stream's last sequence first (else: as the follower last saw)."),
                      url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Print the relay's positions per kind and, per peer, the last stream sequence applied, the peer
    stream's last, and the sequences and seconds behind."""
    settings = Settings.from_env()
    engine = database.ready_engine(url)
    if refresh:  # the follower's look at each stream, taking no message
        follow.follow_once(engine, _broker(settings), node=settings.node, limit=0)
    with engine.connect() as conn:
        output.json_out(status.federation_status(conn, settings.node))
