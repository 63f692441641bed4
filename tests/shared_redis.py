"""The Redis the tests share: ``JJJCREDIT_TEST_REDIS_URL``, else redis://127.0.0.1:6379/0. A test that
needs it is skipped cleanly when it does not answer, and fails instead when ``CI=true``. Each test
writes under a key prefix of its own and deletes its keys afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

URL = os.environ.get("JJJCREDIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def prefix() -> Iterator[tuple[str, str]]:
    """Yield ``(url, key_prefix)``; skip (or fail under CI=true) when Redis does not answer."""
    client = redis.Redis.from_url(URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        message = f"Redis does not answer at {URL} ({exc}); set JJJCREDIT_TEST_REDIS_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    key_prefix = f"jjjcredit-test:{uuid.uuid4().hex[:12]}:"
    try:
        yield URL, key_prefix
    finally:
        keys = list(client.scan_iter(match=key_prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()
