"""The app's own threads: work handed to them runs off the event loop, and its errors come back."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest

from jjjcredit.web import threads


def _request() -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(threads=threads.start())))


def test_work_runs_on_the_apps_threads_and_its_errors_come_back():
    request = _request()

    def fail() -> None:
        raise LookupError("no such row")

    async def main() -> str:
        loop_thread = threading.current_thread().name
        names = await asyncio.gather(*(threads.run(request, lambda: threading.current_thread().name)
                                       for _ in range(20)))
        assert loop_thread not in names and all(n.startswith("jjjcredit-web") for n in names)
        assert len(set(names)) <= threads.COUNT
        with pytest.raises(LookupError, match="no such row"):
            await threads.run(request, fail)
        return "done"

    try:
        assert asyncio.run(main()) == "done"
    finally:
        request.app.state.threads.shutdown()
