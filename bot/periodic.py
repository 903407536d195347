"""Background jobs that run on a timer in every worker process, done by one at a time.

Each job is guarded by a Redis lock taken without waiting: with N processes, whichever gets
the lock does this round's work and the others skip it. A failing round is logged and the
next one runs as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.background import stop_tasks
from bot.storage.locks import LockTimeout, RedisLock
from bot.wecom import WeComError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicWork:
    """`work` every `every` seconds, under `lock_key` (held at most `lock_ttl` seconds)."""

    name: str
    every: float
    work: Callable[[], Awaitable[object]]
    lock_key: str | None = None
    lock_ttl: int = 50


async def _run(job: PeriodicWork, redis: Redis) -> None:
    while True:
        await asyncio.sleep(job.every)
        try:
            if job.lock_key is None:
                await job.work()
                continue
            async with RedisLock(redis, job.lock_key, ttl=job.lock_ttl, wait=0):
                await job.work()
        except LockTimeout:
            pass  # another process is on it this round
        except (RedisError, OSError, WeComError) as exc:
            log.warning("%s skipped this round: %s", job.name, exc)
        except Exception:  # a bug in one round must not stop the job for good
            log.exception("%s failed this round", job.name)


@contextlib.asynccontextmanager
async def running(jobs: list[PeriodicWork], redis: Redis) -> AsyncIterator[None]:
    """Run `jobs` until the block exits, then cancel them."""
    tasks = [asyncio.create_task(_run(job, redis), name=job.name) for job in jobs]
    try:
        yield
    finally:
        await stop_tasks(tasks)
