"""Callbacks first: the pipeline gives way to the callback endpoint when both share a process.

WeCom waits 5 s for each callback's answer and retries what it doesn't get; the events
themselves are safe in the stream once answered. So when one process serves callbacks and runs
the pipeline (`serve`'s default role) and the callbacks alone could fill its CPU, the pipeline
takes new events only while no callback is being handled — waiting at most `GIVE_WAY_SECONDS`
for such a moment, and then taking only `BUSY_BATCH`, so it keeps a floor under any load. At
ordinary rates (hundreds of adds a second) the endpoint is idle most of the time and nothing
changes; at the process's maximum rate the callbacks get the CPU and the stream holds the rest.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

GIVE_WAY_SECONDS = 0.05
BUSY_BATCH = 8  # events read when callbacks never paused: a floor of ~160 a second


class CallbackPressure:
    """How many callbacks are being handled now; `give_way` waits for a moment with none."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def handling(self) -> CallbackPressure:
        """Around one callback's handling, from its first byte to its answer: `with
        pressure.handling():`. A plain context manager, not a generator: every callback
        passes here, and the callback path is counted in microseconds."""
        return self

    def __enter__(self) -> None:
        self.in_flight += 1
        self._quiet.clear()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._quiet.set()

    async def give_way(self, most: float = GIVE_WAY_SECONDS) -> bool:
        """Wait until no callback is being handled, at most `most` seconds; False when the
        callbacks never paused (the caller then takes only a little work)."""
        if self.in_flight == 0:
            return True
        try:
            async with asyncio.timeout(most):
                await self._quiet.wait()
        except TimeoutError:
            return False
        return True
