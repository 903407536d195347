"""Stopping background tasks reliably.

On Python 3.11 a cancellation can be lost: `asyncio.wait_for` (which redis-py uses around
every command) swallows it when the inner call has just finished. A task cancelled once at
that moment runs on, and whoever awaits it waits forever — a worker that never finishes its
SIGTERM. So tasks are cancelled again until they end, within a bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0
RECANCEL_SECONDS = 0.2


async def stop_tasks(tasks: Iterable[asyncio.Task[object]], within: float = STOP_SECONDS) -> int:
    """Cancel `tasks` (again and again) until they end or `within` seconds pass; returns how many
    are still running then (logged). Their results and exceptions are not raised."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - loop.time()
        if left <= 0:
            break
        _done, pending = await asyncio.wait(pending, timeout=min(RECANCEL_SECONDS, left))
    for task in pending:
        log.error("task %s did not stop within %.0f s", task.get_name(), within)
    return len(pending)
