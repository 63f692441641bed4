"""A peer applying a node's changes from the broker, and a node catching up under a steady load.

Figures (the federation issue: "a peer applying 1,000,000 changes (changes/s, target ≥ 50,000/s on
PostgreSQL); catch-up of a node one hour behind under a steady load of 1,000 changes/s"):

1. **apply** — the producer ``beijing``'s library is built with the project's own commands (``demo-data
   --regions beijing --no-credit --mistakes 0``, ``db upgrade``, ``library ingest`` of every file), and
   ``federation relay --once`` publishes its own changes to NATS JetStream (messages of at most
   ``JJJCREDIT_LIMIT_FEDERATION_MESSAGE_CHANGES``). An empty node ``hebei`` (the producer's keys
   registered as a peer) then runs ``federation follow --once --limit M``, M the messages holding the
   first ``--changes`` changes: changes/s = the organizations its messages applied over the command's
   wall time, given with and without the one search-key refresh at the end of the run (timed by the
   command itself). Its peer: a bare ``COPY FROM`` of the producer's rows (the producer's ``COPY TO`` of
   the columns the messages carry) into an unindexed table of text columns.
2. **catch-up** — a second empty node (``tianjin``) is as far behind as the producer's whole feed: at
   1,000 changes/s, ``changes / 1,000`` seconds of it (a library of 3,600,000 organizations: one hour).
   A load of ``--rate`` changes/s then runs on the producer (a 1,000-row department file ingested and
   relayed every second, in this process), and ``federation follow`` (the loop, ``--interval 0.5``)
   starts on ``tianjin``: the time until it has caught up — behind by no more than two seconds of the load
   (what is in flight between the producer's commit, its relay and the follower) — with the load's
   achieved rate. Where the producer's feed is shorter than an hour of
   the load, the hour is given by arithmetic from the measured rate, and says so.

Every database is on the same PostgreSQL server (``--db``'s; ``<name>_hebei``, ``<name>_tianjin``), made
anew and dropped at the end unless ``--keep``; ``--reuse`` takes a kept producer as it is. The stream
names are the run's own (``JJJCREDIT_FEDERATION_PREFIX``) and deleted at the end unless ``--keep``
(``--stream PREFIX --reuse`` then runs again on the same messages, without the relay).

Run: ``JJJCREDIT_SIGNING_KEY_SECRET=bench .venv/bin/python -u benchmarks/federation_apply.py [--rows 3600000]
[--changes 1000000] [--db URL] [--rate 1000] [--load-seconds 1800] [--keep] [--reuse] [--no-catch-up]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exchange_snapshot import (  # the same library, built the same way, and the same bare peers
    build_library,
    cli,
    copy_in,
    copy_out,
    create_database,
    drop_database,
    organizations_held,
    run,
)
from machine import header

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench_federation"
#: The relay's message size (JJJCREDIT_LIMIT_FEDERATION_MESSAGE_CHANGES's default).
MESSAGE_CHANGES = 10_000
#: Caught up: behind by no more than the load of this many seconds — what is in flight between the producer's
#: commit, its relay and the follower under a steady load (exactly zero is only ever seen by chance).
EDGE_SECONDS = 2
NATS_URL = os.environ.get("JJJCREDIT_NATS_URL", "nats://127.0.0.1:4222")
PRODUCER = "beijing"


def node_env(node: str, prefix: str) -> dict[str, str]:
    return {"JJJCREDIT_NODE": node, "JJJCREDIT_FEDERATION_PREFIX": prefix, "JJJCREDIT_NATS_URL": NATS_URL}


def empty_node(url: str, node: str, prefix: str, keys_file: Path) -> None:
    """A node's database with the schema and the producer as its peer."""
    create_database(url)
    run(cli("db", "upgrade", "--db", url))
    run(cli("exchange", "peers", "add", PRODUCER, "--keys", str(keys_file), "--db", url), node_env(node, prefix))


def documents(out: str) -> list[dict[str, Any]]:
    """The JSON documents a command printed one after the other (indented)."""
    found, decoder = [], json.JSONDecoder()
    text, at = out.strip(), 0
    while at < len(text):
        document, at = decoder.raw_decode(text, at)
        found.append(document)
        while at < len(text) and text[at].isspace():
            at += 1
    return found


def applied_rows(out: str) -> tuple[int, int, float]:
    """From ``federation follow``'s JSON output: messages, rows written (created + updated + unchanged), and
    the seconds of its search-key refreshes."""
    messages = rows = 0
    search = 0.0
    for found in documents(out):
        for outcome in found["messages"]:
            messages += 1
            counts = outcome["counts"]
            rows += counts.get("created", 0) + counts.get("updated", 0) + counts.get("unchanged", 0)
        search += found.get("search_seconds") or 0.0
    return messages, rows, search


def government_columns() -> list[str]:
    """The columns a federation message of organizations carries."""
    from jjjcredit.core.exchange import rows
    from jjjcredit.services.exchange import exchange
    from jjjcredit.services.sharing import disclosure

    caller = exchange.audience_caller("government", PRODUCER)
    return list(rows.columns_of("organizations", disclosure.view_of(caller).elements))


def apply_figures(args: argparse.Namespace, prefix: str, keys_file: Path, work: Path) -> float:
    """Part 1; returns the changes/s the follow reached without its search refresh."""
    hebei = f"{args.db}_hebei"
    empty_node(hebei, "hebei", prefix, keys_file)
    messages_wanted = -(-args.changes // MESSAGE_CHANGES)
    seconds, peak, out = run(cli("federation", "follow", "--once", "--limit", str(messages_wanted), "--db", hebei),
                             node_env("hebei", prefix), "federation follow")
    messages, rows, search = applied_rows(out)
    held = organizations_held(hebei)
    columns = government_columns()
    peer_csv = work / "peer.csv"
    copy_out(args.db, columns, peer_csv)
    bare = copy_in(hebei, columns, peer_csv) / organizations_held(args.db)  # seconds a row
    applying = seconds - search
    print(f"apply: hebei applied {messages:,} messages, {rows:,} changes ({held:,} organizations held), "
          f"{len(columns)} columns", flush=True)
    print(f"  federation follow --once --limit {messages_wanted}: {seconds:,.1f} s = {rows / seconds:,.0f} changes/s "
          f"with its search refresh ({search:,.1f} s); {applying:,.1f} s = {rows / applying:,.0f} changes/s "
          "without it; peak RSS "
          f"{peak / 1024:,.0f} MiB", flush=True)
    print(f"  peer, bare COPY FROM of the producer's rows (the same columns): {1 / bare:,.0f} rows/s; follow = "
          f"{100 * (rows / applying) * bare:.1f} % of it (without the search refresh)", flush=True)
    if not args.keep:
        drop_database(hebei)
    return float(rows / applying)


def load_files(work: Path, rows: int, per_file: int, seed: int) -> list[Path]:
    """The steady load's files: ``demo-data`` of another seed (new organizations of the same region — a seed
    no earlier run used, or its files would change nothing), cut into ``per_file``-row files of the same
    layout."""
    demo = work / "load"
    run(cli("demo-data", "--count", str(rows), "--out", str(demo), "--mistakes", "0", "--no-credit",
            "--regions", PRODUCER, "--seed", str(seed)))
    pieces: list[Path] = []
    for source in sorted(demo.glob("*.csv")):
        if source.name.endswith("-changes.csv"):
            continue
        with source.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            head = next(reader)
            chunk: list[list[str]] = []
            for row in reader:
                chunk.append(row)
                if len(chunk) == per_file:
                    pieces.append(_piece(work, source, len(pieces), head, chunk))
                    chunk = []
    return pieces


def _piece(work: Path, source: Path, number: int, head: list[str], rows: list[list[str]]) -> Path:
    path = work / "pieces" / f"{number:06d}" / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        writer.writerows(rows)
    return path


class Load(threading.Thread):
    """``rate`` changes a second on the producer: a file ingested and the relay run, once a second."""

    def __init__(self, url: str, prefix: str, pieces: list[Path], secret: str) -> None:
        super().__init__(daemon=True)
        self.url, self.prefix, self.pieces, self.secret = url, prefix, pieces, secret
        self.stop = threading.Event()
        self.changes = 0
        self.started = time.monotonic()
        self.ended = self.started
        self.late = 0

    def run(self) -> None:
        from jjjcredit.services.federation import broker, relay
        from jjjcredit.services.library import library
        from jjjcredit.services.sharing import evidence
        from jjjcredit.storage.engine import make_engine

        engine = make_engine(self.url)
        nats = broker.Broker(NATS_URL, self.prefix)
        box = evidence.KeyBox(self.secret)
        self.started = time.monotonic()
        for number, piece in enumerate(self.pieces):
            if self.stop.is_set():
                break
            region, department = piece.stem.split("-", 1)
            summary = library.ingest_file(engine, str(piece), f"{region}/{department}")
            self.changes += summary.created + summary.updated
            relay.relay_once(engine, nats, node=PRODUCER, box=box)
            pause = self.started + number + 1 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                self.late += 1
        self.ended = time.monotonic()
        engine.dispose()


def lag(url: str, producer_url: str) -> int:
    """Changes the producer has and the node has not applied yet: the producer's feed position against the end of
    the last range applied from it."""
    from jjjcredit.services.federation import changes
    from jjjcredit.storage.engine import make_engine

    follower, producer = make_engine(url), make_engine(producer_url)
    try:
        with follower.connect() as conn:
            applied = changes.last_applied(conn, PRODUCER, "organizations") or 0
        with producer.connect() as conn:
            published = changes.position(conn, "organizations")
        return max(0, published - applied)
    finally:
        follower.dispose()
        producer.dispose()


def catch_up_figures(args: argparse.Namespace, prefix: str, keys_file: Path, work: Path, rate_seen: float) -> None:
    tianjin = f"{args.db}_tianjin"
    empty_node(tianjin, "tianjin", prefix, keys_file)
    backlog = lag(tianjin, args.db)
    pieces = load_files(work, args.rate * args.load_seconds, args.rate, seed=1000 + organizations_held(args.db))
    load = Load(args.db, prefix, pieces, os.environ["JJJCREDIT_SIGNING_KEY_SECRET"])
    print(f"catch-up: tianjin {backlog:,} changes behind (= {backlog / args.rate / 60:,.1f} minutes of a "
          f"{args.rate:,} changes/s load); the load: {len(pieces)} files of {args.rate:,} rows, one a second",
          flush=True)
    load.start()
    start = time.monotonic()
    follower = subprocess.Popen(cli("federation", "follow", "--interval", "0.5", "--db", tianjin),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **node_env("tianjin", prefix)})
    caught = None
    samples: list[tuple[float, int]] = []
    try:
        while time.monotonic() - start < args.load_seconds:
            behind = lag(tianjin, args.db)
            samples.append((time.monotonic() - start, behind))
            if behind <= EDGE_SECONDS * args.rate and time.monotonic() - start > 2:
                caught = time.monotonic() - start
                break
            if follower.poll() is not None:
                sys.exit(f"federation follow ended (exit {follower.returncode}): {follower.stderr.read()[-2000:]}"
                         if follower.stderr else "federation follow ended")
            time.sleep(1.0)
    finally:
        load.stop.set()
        load.join()
        follower.terminate()
        follower.wait(30)
    achieved = load.changes / max(load.ended - load.started, 1e-9)
    for at, behind in samples[:: max(1, len(samples) // 12)]:
        print(f"  t={at:7.1f} s  behind {behind:,}", flush=True)
    if caught is None:
        print(f"  not caught up within {args.load_seconds} s (last: {samples[-1][1]:,} behind)", flush=True)
    else:
        print(f"  caught up (behind at most {EDGE_SECONDS} s of the load) after {caught:,.1f} s, the load running at "
              f"{achieved:,.0f} changes/s "
              f"({load.late} of its seconds late)", flush=True)
        if achieved < 0.9 * args.rate:
            print(f"  NOTE: the load fell short of --rate {args.rate:,}: this catch-up was not under the load asked",
                  flush=True)
    hour = 3600 * args.rate
    if samples[0][1] < hour:  # the producer's feed is shorter than an hour of the load
        print(f"  one hour behind ({hour:,} changes) at the apply rate measured in part 1 ({rate_seen:,.0f}/s) under "
              f"this load: {hour / max(rate_seen - args.rate, 1):,.0f} s by arithmetic (not measured)", flush=True)
    if not args.keep:
        drop_database(tianjin)


def forget_published(url: str) -> None:
    """The producer's relay positions dropped: it has published nothing on the run's new stream."""
    from sqlalchemy import delete

    from jjjcredit.storage.engine import make_engine
    from jjjcredit.storage.schema import federation_published

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(federation_published))
    engine.dispose()


async def _forget_consumers(prefix: str) -> None:
    import contextlib

    import nats
    from nats.js.errors import NotFoundError

    from jjjcredit.core.federation import messages

    client = await nats.connect(NATS_URL)
    js = client.jetstream()
    for follower in ("hebei", "tianjin"):
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(messages.stream_name(prefix, PRODUCER), follower)
    await client.close()


async def _remove_streams(prefix: str) -> None:
    import contextlib

    import nats
    from nats.js.errors import NotFoundError

    from jjjcredit.core.federation import messages

    client = await nats.connect(NATS_URL)
    js = client.jetstream()
    name = messages.stream_name(prefix, PRODUCER)
    for stream in (name, f"OBJ_{name}{messages.OBJECTS_SUFFIX}"):
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream)
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Organizations of the producer's library.")
    parser.add_argument("--changes", type=int, default=1_000_000, help="Changes the apply part takes (its first "
                        "messages).")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--rate", type=int, default=1000, help="The catch-up's steady load, changes/s.")
    parser.add_argument("--load-seconds", type=int, default=900, help="The most the catch-up runs.")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--no-catch-up", action="store_true")
    parser.add_argument("--stream", help="The prefix of a stream a --keep run left: its messages are used as they "
                        "are (with --reuse), and the relay is not run again.")
    args = parser.parse_args()
    if args.db.startswith("sqlite"):
        sys.exit("This benchmark runs on PostgreSQL (--db postgresql://…): the target is PostgreSQL's.")
    os.environ.setdefault("JJJCREDIT_SIGNING_KEY_SECRET", "bench")
    header("federation: a peer applying changes, and catching up")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    prefix = args.stream or f"bench{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-federation-") as folder:
        work = Path(folder)
        if not (args.reuse and organizations_held(args.db)):
            build_library(args.db, args.rows, work, regions=(PRODUCER,))
        held = organizations_held(args.db)
        seconds, _, out = run(cli("exchange", "keys", "--db", args.db), node_env(PRODUCER, prefix))
        keys_file = work / "beijing-keys.json"
        keys_file.write_text(out, encoding="utf-8")
        if args.stream:
            asyncio.run(_forget_consumers(prefix))  # the followers of this run start from the beginning
            print(f"producer: {held:,} organizations; its messages already on the kept stream {prefix}", flush=True)
        else:
            forget_published(args.db)  # a stream of this run's own: the producer publishes from the start
            seconds, peak, out = run(cli("federation", "relay", "--once", "--db", args.db),
                                     node_env(PRODUCER, prefix), "federation relay")
            sent = documents(out)
            published = sum(m["rows"] for m in sent)
            print(f"producer: {held:,} organizations; federation relay --once: {len(sent):,} messages, "
                  f"{published:,} rows in {seconds:,.1f} s ({published / seconds:,.0f} rows/s, peak RSS "
                  f"{peak / 1024:,.0f} MiB); stream prefix {prefix}", flush=True)
        try:
            rate = apply_figures(args, prefix, keys_file, work)
            if not args.no_catch_up:
                catch_up_figures(args, prefix, keys_file, work, rate)
        finally:
            if not args.keep:
                asyncio.run(_remove_streams(prefix))
                drop_database(args.db)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
