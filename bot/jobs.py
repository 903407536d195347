"""Runs due scheduler jobs: each kind of job id has a handler; outcomes go back to the set.

A handler says `Done`, `Later(at)` (quiet hours, a full rate window: not a failure) or
`Failed(reason, retry)`. Failures are retried with backoff up to `max_attempts`; a job given up
on is written to the failed stream and reported to the admins — never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.exceptions import RedisError

from bot.scheduler import Claimed, Scheduler
from bot.wecom import WeComError

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (60, 300, 900, 1800, 3600)


@dataclass(frozen=True, slots=True)
class Done:
    """The job did its work (or found nothing left to do)."""


@dataclass(frozen=True, slots=True)
class Later:
    """Not yet: due again at `at`, without counting an attempt."""

    at: float


@dataclass(frozen=True, slots=True)
class Failed:
    """An attempt failed; `retry` False gives up at once."""

    reason: str
    retry: bool = True


Outcome = Done | Later | Failed
JobHandler = Callable[[Claimed, float], Awaitable[Outcome]]
Reporter = Callable[[Claimed, str], Awaitable[None]]


class JobRunner:
    """Claims due jobs and runs their handlers, `concurrency` at a time."""

    def __init__(
        self,
        scheduler: Scheduler,
        handlers: dict[str, JobHandler],
        report: Reporter,
        *,
        concurrency: int = 64,
        batch: int = 500,
        max_attempts: int = 6,
    ) -> None:
        self.scheduler = scheduler
        self._handlers = handlers
        self._report = report
        self._slots = asyncio.Semaphore(concurrency)
        self._batch = batch
        self.max_attempts = max_attempts

    async def run_due(self, now: float | None = None) -> int:
        """Run every job due at `now` (default: the wall clock); returns how many ran."""
        at = time.time() if now is None else now
        await self.scheduler.reclaim(at)
        ran = 0
        while True:
            jobs = await self.scheduler.claim(at, self._batch)
            await asyncio.gather(*(self._guarded(job, at) for job in jobs))
            ran += len(jobs)
            if len(jobs) < self._batch:
                return ran

    async def _guarded(self, job: Claimed, now: float) -> None:
        async with self._slots:
            outcome = await self._attempt(job, now)
            await self._settle(job, now, outcome)

    async def _attempt(self, job: Claimed, now: float) -> Outcome:
        handler = self._handlers.get(job.id.split("|", 1)[0])
        if handler is None:
            return Failed("未知的任务类型", retry=False)
        try:
            return await handler(job, now)
        except WeComError as exc:
            return Failed(exc.explanation, retry=exc.retryable)
        except (RedisError, OSError) as exc:
            return Failed(f"暂时无法完成：{exc}")
        except Exception as exc:  # a bug in one job must not stop the others
            log.exception("job %s failed", job.id)
            return Failed(f"内部错误：{type(exc).__name__}")

    async def _settle(self, job: Claimed, now: float, outcome: Outcome) -> None:
        if isinstance(outcome, Done):
            await self.scheduler.done(job.id)
        elif isinstance(outcome, Later):
            await self.scheduler.defer(job.id, max(outcome.at, now))
        elif outcome.retry and job.attempts + 1 < self.max_attempts:
            delay = BACKOFF_SECONDS[min(job.attempts, len(BACKOFF_SECONDS) - 1)]
            log.info("job %s retried in %d s: %s", job.id, delay, outcome.reason)
            await self.scheduler.retry(job.id, now + delay)
        else:
            await self._give_up(job, now, outcome.reason)

    async def _give_up(self, job: Claimed, now: float, reason: str) -> None:
        log.warning("job %s given up after %d attempts: %s", job.id, job.attempts + 1, reason)
        await self.scheduler.record_failure(job.id, reason, job.attempts + 1, now)
        await self.scheduler.done(job.id)
        try:
            await self._report(job, reason)
        except (WeComError, RedisError, OSError) as exc:
            log.warning("failure of %s not reported: %s", job.id, exc)
