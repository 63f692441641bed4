"""The app's own threads: work handed to them runs off the event loop, its errors come back, and
closing lets queued work finish."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import pytest

from jjjcredit.web import threads


def test_work_runs_on_the_apps_threads_and_its_errors_come_back():
    pool = threads.Threads()
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(threads=pool)))

    def fail() -> None:
        raise LookupError("no such row")

    async def main() -> list[str]:
        names = await asyncio.gather(*(threads.run(request, lambda: threading.current_thread().name)
                                       for _ in range(50)))
        with pytest.raises(LookupError, match="no such row"):
            await threads.run(request, fail)
        return names

    try:
        names = asyncio.run(main())
    finally:
        pool.close()
    assert all(n.startswith("jjjcredit-web-") for n in names) and len(set(names)) <= threads.COUNT
    assert threading.current_thread().name not in names


def test_closing_finishes_queued_work():
    pool = threads.Threads(count=2)
    done: list[int] = []

    def slow(i: int) -> int:
        time.sleep(0.01)
        done.append(i)
        return i

    async def main() -> None:
        for i in range(10):
            pool.submit(slow, i)

    asyncio.run(main())
    pool.close()
    assert sorted(done) == list(range(10))
