"""Group commit: calls that arrive while a Redis round trip is under way share the next one.

Under load this turns one round trip per callback into one per batch (the redis-py call
overhead dominated ingest), while an idle server still sends each call at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Runs `run_batch(items) -> results` (one result per item, in order) for queued items."""

    def __init__(
        self, run_batch: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 256
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._busy = False

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if not self._busy:
            self._busy = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        if not batch:
            self._busy = False
            return
        task = asyncio.get_running_loop().create_task(self._run(batch))
        task.add_done_callback(lambda _t: self._flush())  # one round trip in flight at a time

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run_batch([item for item, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # the caller may have gone (client disconnected)
                future.set_result(result)
