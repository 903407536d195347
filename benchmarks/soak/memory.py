"""RSS of the supervisor and of each worker over a soak run, from /proc/<pid>/status.

A worker killed by the fault schedule is replaced by a new pid; each pid is tracked on its own,
from its first sample after its own warm-up (the supervisor's start, or its own start when it
replaced a killed worker) to its last sample.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.soak.processes import rss_kb

GROWTH_LIMIT = 0.10  # more than 10 % from start to end is flagged


@dataclass
class ProcessMemory:
    """The samples of one process: (seconds into the run, RSS KiB)."""

    role: str  # "supervisor" or "worker"
    pid: int
    first_seen: float
    samples: list[tuple[float, int]] = field(default_factory=list)

    def start(self, warmup: float) -> tuple[float, int] | None:
        """The first sample at least `warmup` s after this process was first seen."""
        return next((s for s in self.samples if s[0] >= self.first_seen + warmup), None)

    def end(self) -> tuple[float, int] | None:
        return self.samples[-1] if self.samples else None

    def growth(self, warmup: float) -> float | None:
        """(end - start) / start, or None when the process did not live past its warm-up."""
        start, end = self.start(warmup), self.end()
        if start is None or end is None or end[0] <= start[0]:
            return None
        return (end[1] - start[1]) / start[1]

    @property
    def alive_at_end(self) -> bool:
        return bool(self.samples) and self.samples[-1][1] > 0


class RssSampler:
    """Samples the supervisor and the current workers every `interval` seconds."""

    def __init__(
        self, supervisor: int, workers: Callable[[], list[int]], interval: float = 5.0
    ) -> None:
        self.supervisor = supervisor
        self.workers = workers
        self.interval = interval
        self.started = time.monotonic()
        self.processes: dict[int, ProcessMemory] = {}

    def sample(self) -> None:
        now = time.monotonic() - self.started
        pids = [(self.supervisor, "supervisor")] + [(p, "worker") for p in self.workers()]
        for pid, role in pids:
            value = rss_kb(pid)
            if value is None:
                continue
            memory = self.processes.setdefault(pid, ProcessMemory(role, pid, now))
            memory.samples.append((now, value))

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def current_workers(self) -> list[int]:
        """The worker pids sampled most recently, i.e. the ones alive at the end."""
        last = max((m.samples[-1][0] for m in self.processes.values() if m.samples), default=0)
        return [
            m.pid
            for m in self.processes.values()
            if m.role == "worker" and m.samples and m.samples[-1][0] == last
        ]

    def flagged(self, warmup: float) -> list[ProcessMemory]:
        """Processes whose RSS grew by more than the limit after their warm-up."""
        return [
            m
            for m in self.processes.values()
            if (growth := m.growth(warmup)) is not None and growth > GROWTH_LIMIT
        ]
