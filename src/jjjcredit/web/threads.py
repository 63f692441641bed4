"""The app's own threads, for the blocking work of the busiest calls: the key's rights, a lookup, a
verification.

The event loop keeps parsing and answering other calls while a read waits on the database, so a read
that stalls holds up its own call, not every call in flight. A hand-off is one queue put and one
callback back to the loop: a third of what ``loop.run_in_executor`` costs, a fifth of a trip through
FastAPI's thread pool. :data:`COUNT` threads: with the audit writer's connection they stay within the
five connections the engine keeps open, so no connection is opened per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

COUNT = 4
CLOSE_SECONDS = 10.0  #: how long stopping waits for the threads' work in hand
T = TypeVar("T")
_Work = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class Threads:
    """:data:`COUNT` threads taking work from one queue, started on first use; :meth:`close` lets
    them finish what is queued."""

    def __init__(self, count: int = COUNT) -> None:
        self.count = count
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()

    def submit(self, work: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``work(*args)`` on one of the threads; the future is resolved on the running event loop."""
        if not self._threads:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((loop, future, work, args))
        return future

    def close(self, seconds: float = CLOSE_SECONDS) -> None:
        """Let the threads finish what is queued, waiting at most ``seconds`` in all: a thread stuck in a
        call to a database that does not answer is left behind (a daemon, it ends with the process), so
        a server being stopped stops."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    def _start(self) -> None:
        with self._starting:
            if not self._threads:
                threads = [threading.Thread(target=self._work, name=f"jjjcredit-web-{i}", daemon=True)
                           for i in range(self.count)]
                for thread in threads:
                    thread.start()
                self._threads = threads

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            loop, future, work, args = item
            try:
                result = work(*args)
            except BaseException as exc:  # every outcome goes back to the caller, errors too
                _answer(loop, _fail, future, exc)
            else:
                _answer(loop, _done, future, result)


def _answer(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(settle, *args)


def _done(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(exc)


async def run(request: Request, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on the app's threads (``app.state.threads``), awaited without holding up the
    event loop; its exception, if any, is raised here."""
    threads: Threads = request.app.state.threads
    return await threads.submit(work, *args)
