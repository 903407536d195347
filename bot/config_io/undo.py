"""The steps that take back an import's WeCom writes when its transaction does not commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[object]]


class Undo:
    """The steps that take back WeCom writes, run newest first, each failure only logged."""

    def __init__(self) -> None:
        self._steps: list[Step] = []

    def add(self, step: Step) -> None:
        self._steps.append(step)

    async def run(self) -> int:
        """Run every step; returns how many failed (they are logged)."""
        failed = 0
        for step in reversed(self._steps):
            try:
                await step()
            except Exception as exc:  # one failed step must not keep the others from running
                failed += 1
                log.warning("could not undo a WeCom change of an import: %s", exc)
        self._steps.clear()
        return failed
