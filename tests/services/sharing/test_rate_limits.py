"""Public rate limits: one sliding window, in this process or shared through Redis; what happens when
Redis is missing at start-up or goes away while serving."""

from __future__ import annotations

import doctest
import logging
import socket
import time
from collections.abc import Iterator

import pytest
import redis

from jjjcredit.services.sharing import rate_limits
from tests import shared_redis


@pytest.fixture
def shared() -> Iterator[tuple[str, str]]:
    with shared_redis.prefix() as url_and_prefix:
        yield url_and_prefix


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_examples():
    assert doctest.testmod(rate_limits).failed == 0


def test_the_local_window_admits_the_limit_then_says_when():
    window = rate_limits.LocalWindow(3)
    assert [window.admit("10.0.0.1").admitted for _ in range(4)] == [True, True, True, False]
    refused = window.admit("10.0.0.1")
    assert not refused.admitted and 59 <= refused.retry_after <= 60
    assert window.admit("10.0.0.2").admitted, "each address counts alone"


def test_the_local_window_slides(monkeypatch: pytest.MonkeyPatch):
    now = [1000.0]
    monkeypatch.setattr(rate_limits.time, "monotonic", lambda: now[0])
    window = rate_limits.LocalWindow(2)
    assert window.admit("a").admitted
    now[0] += 30
    assert window.admit("a").admitted
    now[0] += 10
    assert window.admit("a") == rate_limits.Decision(False, 20), "the first call leaves the window at 60 s"
    now[0] += 20
    assert window.admit("a").admitted


def test_two_redis_windows_share_one_count_and_one_retry_after(shared: tuple[str, str]):
    url, prefix = shared
    first = rate_limits.open_limiter(3, url, prefix)
    second = rate_limits.open_limiter(3, url, prefix)
    try:
        assert isinstance(first, rate_limits.RedisWindow)
        assert first.admit("10.0.0.1").admitted
        time.sleep(1.2)
        assert second.admit("10.0.0.1").admitted and first.admit("10.0.0.1").admitted
        refused = second.admit("10.0.0.1")
        assert not refused.admitted
        assert 1 <= refused.retry_after <= 59, "from the first call in the shared window, not this process's"
        assert first.admit("10.0.0.1") == rate_limits.Decision(False, refused.retry_after)
        assert second.admit("10.0.0.2").admitted, "each address counts alone"
        ttl = first.client.pttl(first.key("10.0.0.1"))
        assert 0 < ttl <= 60_000, "the counter expires with the window"
    finally:
        first.close()
        second.close()


def test_redis_that_does_not_answer_at_start_up_is_refused():
    with pytest.raises(rate_limits.RedisUnavailable) as refused:
        rate_limits.open_limiter(60, f"redis://:secret@127.0.0.1:{_closed_port()}/0")
    assert refused.value.code == "redis.unavailable"
    assert "secret" not in str(refused.value) and "JJJCREDIT_REDIS_URL" in str(refused.value)
    with pytest.raises(rate_limits.RedisUnavailable, match="not a Redis URL"):
        rate_limits.open_limiter(60, "http://127.0.0.1:6379")
    assert isinstance(rate_limits.open_limiter(60, None), rate_limits.LocalWindow)


def test_redis_going_away_fails_open_to_the_local_window_with_one_warning(caplog: pytest.LogCaptureFixture):
    gone = redis.Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5)
    window = rate_limits.RedisWindow(2, gone, "jjjcredit-test:", "redis://127.0.0.1/0")
    with caplog.at_level(logging.INFO, logger="jjjcredit.rate_limits"):
        decisions = [window.admit("10.0.0.1").admitted for _ in range(3)]
    assert decisions == [True, True, False], "this worker still counts, alone"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].code == "redis.unavailable"  # type: ignore[attr-defined]
    window.close()


def test_redis_coming_back_is_used_again_and_logged(shared: tuple[str, str], caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch):
    url, prefix = shared
    window = rate_limits.open_limiter(5, url, prefix)
    assert isinstance(window, rate_limits.RedisWindow)
    script = window._script

    def fail(*args: object, **kwargs: object) -> object:
        raise redis.ConnectionError("gone")

    monkeypatch.setattr(rate_limits, "RETRY_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="jjjcredit.rate_limits"):
        window._script = fail  # type: ignore[assignment]
        assert window.admit("10.0.0.1").admitted
        window._script = script
        assert window.admit("10.0.0.1").admitted
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "answers again" in caplog.records[1].getMessage()
    assert window.client.zcard(window.key("10.0.0.1")) == 1, "only the call made while Redis answered is shared"
    window.close()


def test_a_batch_costs_its_work_and_a_cost_of_zero_only_asks():
    window = rate_limits.LocalWindow(10)
    assert window.admit("a", 8).admitted
    assert not window.admit("a", 3).admitted, "8 + 3 do not fit in 10"
    assert window.admit("a", 0).admitted and window.admit("a", 0).admitted, "asking counts nothing"
    assert window.admit("a", 2).admitted
    assert not window.admit("a", 0).admitted, "full: even asking is refused"
    big = rate_limits.LocalWindow(5)
    assert big.admit("b", 50).admitted, "work over a whole window takes all of it, once the window is empty"
    assert not big.admit("b").admitted


def test_the_redis_window_counts_a_batch_as_its_work(shared: tuple[str, str]):
    url, prefix = shared
    window = rate_limits.open_limiter(10, url, prefix)
    try:
        assert isinstance(window, rate_limits.RedisWindow)
        assert window.admit("10.0.0.9", 8).admitted
        assert not window.admit("10.0.0.9", 3).admitted
        assert window.admit("10.0.0.9", 0).admitted
        assert window.admit("10.0.0.9", 2).admitted
        assert not window.admit("10.0.0.9", 0).admitted
    finally:
        window.close()
