"""Rate limits: calls a minute from one address without an API key — and, in windows of their own, a client's
keyed calls to the public's services and the reports issued (web/access.py) — counted over a sliding window
of :data:`WINDOW_SECONDS`.

Two counters with the same rule: :class:`LocalWindow` counts in this process (one worker, or several
that each count alone); :class:`RedisWindow` counts in Redis, so every worker of every server that
shares the Redis (and the key prefix) shares one count per address. A refusal carries ``retry_after``:
whole seconds (at least 1) until the oldest counted call leaves the window — with Redis, the shared
window on Redis's own clock, so every worker gives the same answer.

Redis is checked when the server starts (:func:`connect` raises :class:`RedisUnavailable`). If it goes
away while serving, the limits **fail open to this process**: each worker counts in its own
:class:`LocalWindow` (so one address may make up to workers × the limit), one warning is logged with
the code ``redis.unavailable``, Redis is tried again every :data:`RETRY_SECONDS`, and its return is
logged too. A window counts whatever key it is given: an address, or ``client:<id>``.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import math
import threading
import time
import urllib.parse
import uuid
from collections import deque
from typing import NamedTuple, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from jjjcredit.core.errors import Error

log = logging.getLogger("jjjcredit.rate_limits")

WINDOW_SECONDS = 60
#: How long a Redis call may take before this process counts alone (connecting, or one command).
TIMEOUT_SECONDS = 0.5
#: After Redis failed, how long this process counts alone before it tries Redis again.
RETRY_SECONDS = 5.0

#: ``cost`` calls against the shared window, atomically: drop what left the window, refuse when they do
#: not fit (with the milliseconds until the oldest call leaves), else count them (a cost of 0 asks
#: whether one more call would fit, counting nothing). Time is Redis's own.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) + math.max(cost, 1) > limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] == nil then return {0, window} end
  return {0, tonumber(oldest[2]) + window - now}
end
for i = 1, cost do
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. i)
end
if cost > 0 then redis.call('PEXPIRE', KEYS[1], window) end
return {1, 0}
"""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(text: str | tuple[str, ...] | list[str]) -> tuple[Network, ...]:
    """The trusted proxies setting (``JJJCREDIT_TRUSTED_PROXIES``): addresses or CIDR networks, comma-separated.

    >>> [str(n) for n in parse_proxies("10.0.0.0/8, 127.0.0.1")]
    ['10.0.0.0/8', '127.0.0.1/32']
    >>> parse_proxies("10.0.0.300")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jjjcredit.core.errors.Error: The trusted proxy "10.0.0.300" is not an IP address or network ...
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise Error("settings.trusted_proxies", f'The trusted proxy "{item[:64]}" is not an IP address or network '
                        "(JJJCREDIT_TRUSTED_PROXIES): give addresses or CIDR networks, comma-separated, e.g. "
                        "10.0.0.0/8,127.0.0.1.") from None
    return tuple(networks)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


#: The prefix an IPv6 caller is counted by: one site's or line's network (a /64 is what one subscriber is
#: given, and any address in it is theirs to use).
IPV6_PREFIX = 64


def window_of(address: str) -> str:
    """What calls from ``address`` are counted under: an IPv4 address itself; an IPv6 one by its /64 (else
    every address of one line would be a window of its own).

    >>> window_of("203.0.113.9"), window_of("2001:db8:1:2:aaaa::1"), window_of("unknown")
    ('203.0.113.9', '2001:db8:1:2::/64', 'unknown')
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return address
    return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))


def client_address(peer: str, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The address a call is counted against: the peer, unless it is a trusted proxy — then the
    rightmost address of ``X-Forwarded-For`` that is not a trusted proxy (what a client wrote to the
    left of it is never believed). ``forwarded_for``: every X-Forwarded-For header, in order.

    >>> proxies = parse_proxies("10.0.0.0/8")
    >>> client_address("203.0.113.9", ["1.2.3.4"], proxies)  # not from a proxy: the header is ignored
    '203.0.113.9'
    >>> client_address("10.0.0.2", ["1.2.3.4, 198.51.100.7, 10.0.0.5"], proxies)  # 1.2.3.4 is the client's claim
    '198.51.100.7'
    >>> client_address("10.0.0.2", [], proxies)
    '10.0.0.2'
    """
    address = peer
    if not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for header in forwarded_for for h in header.split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        address = hop[:64]
        if not _trusted(hop, proxies):
            return address
    return address


class Decision(NamedTuple):
    admitted: bool
    #: Seconds until a refused call would be admitted (the Retry-After header); 0 when admitted.
    retry_after: int


class Limiter(Protocol):
    per_minute: int

    def admit(self, address: str, cost: int = 1) -> Decision: ...

    def close(self) -> None: ...


class RedisUnavailable(Error):
    """Redis cannot be reached (or the URL is not a Redis URL) when the server starts."""

    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = shown_url(url), reason
        super().__init__("redis.unavailable", f"Redis at {shown_url(url)} cannot be used for the shared rate "
                         f"limits: {reason}. Start it, or correct the Redis URL (setting JJJCREDIT_REDIS_URL, "
                         "redis://host:6379/0); leave it unset to count the limits in each worker.")


class LocalWindow:
    """The sliding window in this process: a deque of call times per address."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def admit(self, address: str, cost: int = 1) -> Decision:
        """Count ``cost`` calls (at most a whole window's worth) if they fit; 0 asks without counting."""
        cost = _bounded(cost, self.per_minute)
        now = time.monotonic()
        with self._lock:
            if now - self._swept > WINDOW_SECONDS:  # forget addresses that have been quiet a whole window
                self._hits = {a: h for a, h in self._hits.items() if h and h[-1] > now - WINDOW_SECONDS}
                self._swept = now
            hits = self._hits.setdefault(address, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) + max(cost, 1) > self.per_minute:
                oldest = hits[0] if hits else now
                return Decision(False, max(1, math.ceil(oldest + WINDOW_SECONDS - now)))
            hits.extend(itertools.repeat(now, cost))
            return Decision(True, 0)

    def close(self) -> None:
        pass


class RedisWindow:
    """The same sliding window, kept in Redis (a sorted set of call times per address, expiring with
    the window); falls back to a :class:`LocalWindow` while Redis does not answer."""

    def __init__(self, per_minute: int, client: redis.Redis, prefix: str = "jjjcredit:", url: str = "redis") -> None:
        self.per_minute = per_minute
        self.client, self.prefix, self.url = client, prefix, shown_url(url)
        self._script = client.register_script(_ADMIT)
        self._local = LocalWindow(per_minute)
        self._lock = threading.Lock()
        self._down_until: float | None = None  # set while this process counts alone

    def key(self, address: str) -> str:
        return f"{self.prefix}rate:public:{address}"

    def admit(self, address: str, cost: int = 1) -> Decision:
        cost = _bounded(cost, self.per_minute)
        down_until = self._down_until
        if down_until is not None and time.monotonic() < down_until:
            return self._local.admit(address, cost)
        try:
            admitted, wait_ms = self._script(keys=[self.key(address)], args=[
                self.per_minute, WINDOW_SECONDS * 1000, uuid.uuid4().hex, cost])
        except redis.RedisError as exc:
            self._went_away(exc)
            return self._local.admit(address, cost)
        if down_until is not None:
            self._came_back()
        if admitted:
            return Decision(True, 0)
        return Decision(False, max(1, math.ceil(int(wait_ms) / 1000)))

    def _went_away(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = time.monotonic() + RETRY_SECONDS
        if first:
            log.warning("Redis at %s does not answer (%s): public rate limits are counted in this worker "
                        "alone until it does.", self.url, _reason(exc),
                        extra={"code": "redis.unavailable"})

    def _came_back(self) -> None:
        with self._lock:
            was_down, self._down_until = self._down_until is not None, None
        if was_down:
            log.info("Redis at %s answers again: public rate limits are shared again.", self.url)

    def close(self) -> None:
        self.client.close()


def _bounded(cost: int, per_minute: int) -> int:
    """A cost between 0 and a whole window: work bigger than a minute's allowance takes all of it
    (and is admitted once the window is empty) rather than never fitting.

    >>> _bounded(5, 60), _bounded(500, 60), _bounded(-1, 60)
    (5, 60, 0)
    """
    return max(0, min(cost, per_minute))


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered a PING; :class:`RedisUnavailable` otherwise."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS,
                                      retry=Retry(NoBackoff(), 1), health_check_interval=30)
    except ValueError as exc:
        raise RedisUnavailable(url, f"not a Redis URL ({exc})") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise RedisUnavailable(url, _reason(exc)) from None
    return client


def open_limiter(per_minute: int, redis_url: str | None = None, prefix: str = "jjjcredit:") -> Limiter:
    """The shared window in Redis when ``redis_url`` is given (checked now), else this process's own."""
    if not redis_url:
        return LocalWindow(per_minute)
    return RedisWindow(per_minute, connect(redis_url), prefix, redis_url)


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs.

    >>> shown_url("redis://:secret@cache:6379/0")
    'redis://:***@cache:6379/0'
    >>> shown_url("redis://127.0.0.1:6379/0")
    'redis://127.0.0.1:6379/0'
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
