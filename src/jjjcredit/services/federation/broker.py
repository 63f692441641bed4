"""The broker federation travels through: NATS JetStream (nats-py), one stream per node holding its own
changes, a durable consumer per follower, an object store per node for packages too large for a message.
Every failure of the broker is ``federation.broker``; nothing here touches the database."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import nats
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, ObjectStoreConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from jjjcredit.core.federation import messages
from jjjcredit.core.federation.messages import FederationError

#: How long the broker remembers a message id: the same range published again within it is stored once.
DUPLICATE_WINDOW_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Broker:
    """Where the broker is (``JJJCREDIT_NATS_URL``), the names' prefix, the size above which a
    package's data goes to the object store instead of the message, and the changes one message covers
    at most (``JJJCREDIT_LIMIT_FEDERATION_MESSAGE_CHANGES``)."""

    url: str = "nats://127.0.0.1:4222"
    prefix: str = "jjj"
    #: Under NATS's default max_payload (1 MiB), with room for the manifest's line and the headers.
    object_bytes: int = 960 * 1024
    message_changes: int = 10_000
    #: Whether published data is compressed (a follower reads both).
    compress: bool = True
    #: The largest data file a message may decompress to (``JJJCREDIT_LIMIT_EXCHANGE_FILE_BYTES``).
    data_bytes: int = 1 << 30
    timeout: float = 10.0
    #: Seconds a message delivered and not acknowledged waits before the broker delivers it again (a
    #: follower stopped while applying it: its next run takes it after this).
    ack_wait: float = 30.0


@dataclass(frozen=True)
class Delivered:
    """A message taken from a peer's stream: its package (manifest as read, data as it traveled, and how
    it was compressed), stream sequence, time. The data is decompressed only once the manifest's signature
    is found good (services/federation/changes.check_package)."""

    manifest: Any
    data: bytes
    stream_seq: int
    at: datetime.datetime
    msg: Any
    encoding: str | None = None


def _failed(what: str, broker: Broker, exc: BaseException) -> FederationError:
    return FederationError("federation.broker", f"The broker at {broker.url} {what}: {type(exc).__name__} {exc}. "
                           "Nothing was lost; run the command again once the broker answers.", field="broker")


@asynccontextmanager
async def connected(broker: Broker) -> AsyncIterator[JetStreamContext]:
    """A JetStream context on a connection closed afterwards."""
    messages.check_prefix(broker.prefix)
    try:
        client = await nats.connect(broker.url, connect_timeout=broker.timeout, max_reconnect_attempts=1,
                                    allow_reconnect=False)
    except (OSError, NatsError, TimeoutError) as exc:
        raise _failed("cannot be reached", broker, exc) from None
    try:
        yield client.jetstream(timeout=broker.timeout)
    finally:
        await client.close()


async def ensure_stream(js: JetStreamContext, broker: Broker, node: str) -> str:
    """``node``'s stream (made when missing): every kind's subject, messages kept, ids de-duplicated."""
    name = messages.stream_name(broker.prefix, node)
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=name, subjects=[messages.subject(broker.prefix, node, ">")],
                                         storage=StorageType.FILE, duplicate_window=DUPLICATE_WINDOW_SECONDS))
    except (NatsError, TimeoutError) as exc:
        raise _failed(f"did not give stream {name}", broker, exc) from None
    return name


async def publish(js: JetStreamContext, broker: Broker, node: str, kind: str, manifest: dict[str, Any],
                  data: bytes, msg_id: str) -> tuple[int, bool]:
    """Publish one package with ``Nats-Msg-Id`` ``msg_id``; returns the stream sequence and whether the broker
    held it already (a duplicate). The data travels compressed (unless ``compress`` is off); over
    ``object_bytes`` even so, it goes to the object store first."""
    stream = await ensure_stream(js, broker, node)
    headers = {"Nats-Msg-Id": msg_id}
    if broker.compress:
        headers[messages.ENCODING_HEADER] = messages.ENCODING
        data = messages.compress(data)
    try:
        if len(data) > broker.object_bytes:
            bucket = stream + messages.OBJECTS_SUFFIX
            try:
                store = await js.object_store(bucket)
            except NotFoundError:
                store = await js.create_object_store(bucket, ObjectStoreConfig(storage=StorageType.FILE))
            await store.put(msg_id, data)
            headers[messages.OBJECT_HEADER] = msg_id
            data = b""
        ack = await js.publish(messages.subject(broker.prefix, node, kind), messages.pack(manifest, data),
                               stream=stream, headers=headers)
    except (NatsError, TimeoutError) as exc:
        raise _failed(f"did not acknowledge message {msg_id}", broker, exc) from None
    return int(ack.seq), bool(ack.duplicate)


async def last_sequence(js: JetStreamContext, broker: Broker, node: str) -> tuple[int, datetime.datetime | None]:
    """The last sequence in ``node``'s stream and when it was stored (0 and ``None``: no stream yet)."""
    try:
        info = await js.stream_info(messages.stream_name(broker.prefix, node))
    except NotFoundError:
        return 0, None
    except (NatsError, TimeoutError) as exc:
        raise _failed(f"did not describe {node}'s stream", broker, exc) from None
    last = int(info.state.last_seq or 0)
    if not last:
        return 0, None
    try:
        newest = await js.get_msg(messages.stream_name(broker.prefix, node), last)
    except (NatsError, TimeoutError):  # the newest message removed meanwhile: its time unknown
        return last, None
    stamp = newest.time
    return last, stamp if isinstance(stamp, datetime.datetime) else None


#: Messages a follower holds delivered and not acknowledged: the one it applies and the next, fetched and
#: checked meanwhile (services/federation/follow.py). Order does not rest on it: a message out of its turn is
#: a gap the follower refuses to apply, or one applied already.
AHEAD = 2


async def subscription(js: JetStreamContext, broker: Broker, follower: str, peer: str) -> Any:
    """The durable pull consumer ``follower`` on ``peer``'s stream (made when missing; it remembers what was
    acknowledged, so a follower that was down starts where it stopped). A consumer made by an earlier release
    (one message at a time) is given :data:`AHEAD`."""
    stream = await ensure_stream(js, broker, peer)
    subject = messages.subject(broker.prefix, peer, ">")
    try:
        try:
            held = await js.consumer_info(stream, follower)
        except NotFoundError:
            held = None
        if held is not None and held.config.max_ack_pending != AHEAD:
            await js.add_consumer(stream, config=dataclasses.replace(held.config, max_ack_pending=AHEAD))
        return await js.pull_subscribe(subject, durable=follower, stream=stream,
                                       config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL,
                                                             ack_wait=broker.ack_wait, max_ack_pending=AHEAD))
    except (NatsError, TimeoutError) as exc:
        raise _failed(f"did not give consumer {follower} on {peer}'s stream", broker, exc) from None


async def waiting(sub: Any) -> tuple[int, int]:
    """How many messages of the subscription's stream are not delivered yet, and how many were delivered and
    not acknowledged (to a follower that stopped before it acknowledged them: the broker delivers them again
    after ``ack_wait``) — so an empty fetch on a slow machine is not taken for the end."""
    try:
        info = await sub.consumer_info()
    except (NatsError, TimeoutError):
        return 0, 0
    return int(info.num_pending or 0), int(info.num_ack_pending or 0)


async def fetch(js: JetStreamContext, broker: Broker, sub: Any, wait: float,
                admitted: Callable[[Any], int | None] | None = None) -> list[Delivered]:
    """The next message of a subscription, or none within ``wait`` seconds; a large package's data is read
    back from the object store — only when ``admitted`` passes its manifest (services/federation/changes.
    signed_by_peer: a peer's, its signature good) and the object is within the limit of a data file; else the
    data is left empty and the package is refused for its manifest, or as truncated."""
    try:
        found = await sub.fetch(1, timeout=wait)
    except TimeoutError:
        return []
    except NatsError as exc:
        raise _failed("did not deliver", broker, exc) from None
    out = []
    for msg in found:
        try:
            manifest, data = messages.unpack(msg.data)
        except FederationError:  # no package: the follower refuses it (no manifest) and records why
            manifest, data = None, b""
        headers = msg.headers or {}
        name = headers.get(messages.OBJECT_HEADER)
        if name and manifest is not None and (admitted is None or admitted(manifest) is not None):
            data = await _object(js, msg.metadata.stream + messages.OBJECTS_SUFFIX, name, broker.data_bytes)
        encoding = headers.get(messages.ENCODING_HEADER) or None
        at = msg.metadata.timestamp
        out.append(Delivered(manifest, data, int(msg.metadata.sequence.stream),
                             at if isinstance(at, datetime.datetime) else datetime.datetime.now(datetime.UTC), msg,
                             encoding))
    return out


async def _object(js: JetStreamContext, bucket: str, name: str, most: int) -> bytes:
    """A large package's data file from the object store; none (the package is then refused as truncated,
    with the file's name) when the broker does not hold it, or holds more than ``most`` bytes of it."""
    try:
        store = await js.object_store(bucket)
        info = await store.get_info(name)
        if int(info.size or 0) > most:
            return b""
        result = await store.get(name)
    except (NatsError, NotFoundError, TimeoutError):
        return b""
    return bytes(result.data or b"")
