"""The event-loop watchdog: reports every stretch the loop was blocked, and what was running.

One process answers WeCom (5 s) and sends welcomes (20 s) from one event loop, so a blocked
loop is an outage nobody sees: no log line is written while it lasts. A heartbeat task ticks
every `TICK_SECONDS`; a thread beside the loop watches the ticks, and when one is late by more
than `STALL_SECONDS` it takes the loop thread's stack (what is running), and logs it at once if
the stall goes on past `STILL_BLOCKED_SECONDS`. When the loop runs again, the heartbeat logs
the stall's length with that stack and tells each listener (the apps' metrics).

Several apps in one process (a deployment of several corps) share one loop, so they share one
watchdog: each adds its listener and the last to leave stops it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

TICK_SECONDS = 0.02
STALL_SECONDS = 0.1
STILL_BLOCKED_SECONDS = 5.0
STACK_FRAMES = 8
Listener = Callable[[float, str], None]  # (seconds blocked, what was running)

log = logging.getLogger(__name__)
_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopWatchdog] = (
    weakref.WeakKeyDictionary()
)


class LoopWatchdog:
    """Watches one event loop from a thread; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.listeners: list[Listener] = []
        self._loop_thread = threading.get_ident()
        self._tick = time.monotonic()
        # (the tick a stall followed, what the loop was running then), as the thread saw it
        self._seen: tuple[float, str] = (0.0, "")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)
        self._task = loop.create_task(self._heartbeat(), name="loop-watchdog")
        self._thread.start()

    @classmethod
    @contextmanager
    def watching(cls, listener: Listener) -> Iterator[LoopWatchdog]:
        """The running loop's watchdog (started if none), telling `listener` of each stall.

        A plain context manager, nothing awaited: it also ends cleanly when the loop closes
        the generator of an app whose start-up failed."""
        loop = asyncio.get_running_loop()
        dog = _BY_LOOP.get(loop)
        if dog is None:
            dog = _BY_LOOP[loop] = cls(loop)
        dog.listeners.append(listener)
        try:
            yield dog
        finally:
            dog.listeners.remove(listener)
            if not dog.listeners:
                _BY_LOOP.pop(loop, None)
                dog._close()

    def _close(self) -> None:
        # nothing awaited: this also runs when start-up failed and the loop closes the
        # context's generator; the thread (a daemon) ends within a tick
        self._stop.set()
        self._task.cancel()

    async def _heartbeat(self) -> None:
        while True:
            before = time.monotonic()
            self._tick = before
            await asyncio.sleep(TICK_SECONDS)
            late = time.monotonic() - before - TICK_SECONDS
            if late > STALL_SECONDS:
                self._report(late, before)

    def _report(self, seconds: float, tick: float) -> None:
        seen_tick, stack = self._seen
        if seen_tick != tick:
            stack = "(not caught: the stall ended before the watchdog looked)"
        log.warning(
            "event loop blocked for %.3f s; running: %s",
            seconds,
            stack,
            extra={"stall_seconds": round(seconds, 3)},
        )
        for listener in list(self.listeners):
            try:
                listener(seconds, stack)
            except Exception:  # a listener's failure must not stop the heartbeat
                log.exception("loop watchdog listener failed")

    def _watch(self) -> None:
        warned_for = 0.0
        while not self._stop.wait(TICK_SECONDS):
            tick = self._tick
            blocked = time.monotonic() - tick
            if blocked <= STALL_SECONDS + TICK_SECONDS:
                continue
            if self._seen[0] != tick:
                self._seen = (tick, self._running())
            if blocked > STILL_BLOCKED_SECONDS and warned_for != tick:
                warned_for = tick
                log.warning(
                    "event loop blocked for %.1f s so far; running: %s", blocked, self._seen[1]
                )

    def _running(self) -> str:
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return "(unknown)"
        frames = traceback.extract_stack(frame)[-STACK_FRAMES:]
        # innermost first, with the path from the package down: bot/tagging/rules.py:150 …
        return " <- ".join(
            f"{'/'.join(f.filename.rsplit('/', 3)[-3:])}:{f.lineno} {f.name}"
            for f in reversed(frames)
        )
