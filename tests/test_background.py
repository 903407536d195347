"""Stopping background tasks when a cancellation gets lost (as redis-py's wait_for can lose it)."""

from __future__ import annotations

import asyncio
import contextlib

from bot.background import stop_tasks


async def swallows_one_cancellation(stopped: list[str]) -> None:
    """What Python 3.11's wait_for does when its inner call has just finished."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(60)
    try:
        await asyncio.sleep(60)
    finally:
        stopped.append("stopped")


async def test_a_task_that_lost_a_cancellation_is_still_stopped() -> None:
    stopped: list[str] = []
    task = asyncio.create_task(swallows_one_cancellation(stopped))
    await asyncio.sleep(0)
    assert await stop_tasks([task], within=5) == 0
    assert task.done() and stopped == ["stopped"]


async def test_a_task_that_never_stops_is_reported_not_awaited_forever() -> None:
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await released.wait()

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    assert await stop_tasks([task], within=0.5) == 1
    assert not task.done()
    released.set()  # leave nothing behind
    await task
