"""The app's own threads, for the blocking work of the busiest calls: the key's client, a lookup, a
verification.

A plain executor hand-off costs a fraction of a trip through FastAPI's thread pool, and the event loop
keeps parsing and answering other calls while a read waits on the database — a read that stalls holds
up its own call, not every call in flight. :data:`COUNT` threads: with the audit writer's connection
they stay within the five connections the engine keeps open, so no connection is opened per call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import Request

COUNT = 4
T = TypeVar("T")


def start() -> ThreadPoolExecutor:
    """The threads of one app (``app.state.threads``); shut down with the app."""
    return ThreadPoolExecutor(COUNT, thread_name_prefix="jjjcredit-web")


async def run(request: Request, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on the app's threads, awaited without holding up the event loop."""
    threads: ThreadPoolExecutor = request.app.state.threads
    return await asyncio.get_running_loop().run_in_executor(threads, functools.partial(work, *args))
