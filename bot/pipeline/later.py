"""The pipeline's second lane: the handlers nobody is waiting for, run when urgent work lets them.

An event's urgent handlers (a router marked `urgent`: the new customer's welcome, an admin's
answer) run as soon as the event is read. Its other handlers (profiles, stats, SOP triggers,
channel counts…) wait here, and run while no urgent work is in flight, or once they have
waited `max_wait` seconds. A burst of adds (a live-stream campaign) gets every welcome out
first and the bookkeeping after, instead of each welcome queueing behind the bookkeeping of
the adds before it.

The lane is bounded: while it is full the pipeline reads nothing new, so memory stays bounded
and the stream holds the rest. Events waiting here are still pending in the stream, so a
process that dies leaves them to the usual takeover; while they wait, their idle time is reset
(`touch`) so the idle reclaim of other consumers doesn't take over work that is merely queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.background import stop_tasks

log = logging.getLogger(__name__)

Run = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LaterSettings:
    """How much bookkeeping may wait, for how long, and how much runs at once."""

    limit: int = 10_000  # events waiting; when full the pipeline stops reading
    concurrency: int = 4
    max_wait: float = 20.0  # then it runs even while urgent work is in flight
    touch_every: float = 10.0  # well under the idle reclaim (60 s)


@dataclass(slots=True)
class _Waiting:
    entry_id: str
    run: Run
    since: float = field(default_factory=time.monotonic)


class LaterLane:
    """Queues the non-urgent part of events; `idle` is set while no urgent work is in flight,
    `touch(ids)` resets the idle time of stream entries still waiting."""

    def __init__(
        self,
        idle: asyncio.Event,
        touch: Callable[[list[str]], Awaitable[object]],
        settings: LaterSettings = LaterSettings(),
    ) -> None:
        self._idle = idle
        self._touch = touch
        self.settings = settings
        self._queue: asyncio.Queue[_Waiting] = asyncio.Queue()
        self._waiting: dict[str, _Waiting] = {}
        self._empty = asyncio.Event()  # nothing waits
        self._empty.set()
        self._tasks: list[asyncio.Task[None]] = []

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._waiting

    def __len__(self) -> int:
        return len(self._waiting)

    @property
    def full(self) -> bool:
        return len(self._waiting) >= self.settings.limit

    def add(self, entry_id: str, run: Run) -> None:
        waiting = _Waiting(entry_id, run)
        self._waiting[entry_id] = waiting
        self._empty.clear()
        self._queue.put_nowait(waiting)

    def start(self) -> None:
        workers = [self._worker() for _ in range(self.settings.concurrency)]
        self._tasks = [asyncio.create_task(w, name="later-lane") for w in workers]
        self._tasks.append(asyncio.create_task(self._toucher(), name="later-touch"))

    async def stop(self, grace: float) -> None:
        """Run what waits (no more holding back) for up to `grace` seconds, then stop; what
        is left stays pending in the stream for another consumer."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._empty.wait(), timeout=grace)
        await stop_tasks(self._tasks)
        self._waiting.clear()

    async def _worker(self) -> None:
        while True:
            waiting = await self._queue.get()
            left = waiting.since + self.settings.max_wait - time.monotonic()
            if left > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), timeout=left)
            try:
                await waiting.run()
            except Exception:  # the run handles its own outcomes; never lose the worker
                log.exception("later lane: event %s", waiting.entry_id)
            finally:
                self._waiting.pop(waiting.entry_id, None)
                if not self._waiting:
                    self._empty.set()

    async def _toucher(self) -> None:
        while True:
            await asyncio.sleep(self.settings.touch_every)
            old = time.monotonic() - self.settings.touch_every
            ids = [w.entry_id for w in self._waiting.values() if w.since < old]
            for start in range(0, len(ids), 500):
                with contextlib.suppress(Exception):  # a failed touch: the next one retries
                    await self._touch(ids[start : start + 500])
