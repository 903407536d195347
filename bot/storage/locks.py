"""Redis locks shared by all processes, for work that must not run twice at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from types import TracebackType

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.background import stop_tasks

log = logging.getLogger(__name__)

# Deletes KEYS[1] only while it still holds ARGV[1]: a lock is released only by its owner (one
# that expired and was taken by another is left alone), a token only if not yet replaced.
DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LockTimeout(TimeoutError):
    """The lock stayed taken for longer than the caller would wait."""


class RedisLock:
    """`async with RedisLock(redis, key):` — held for at most `ttl` seconds, waits `wait`."""

    def __init__(self, redis: Redis, key: str, *, ttl: float = 30.0, wait: float = 25.0) -> None:
        self._redis = redis
        self._key = key
        self._ttl_ms = int(ttl * 1000)
        self._wait = wait
        self._owner = secrets.token_hex(8)

    async def __aenter__(self) -> RedisLock:
        deadline = time.monotonic() + self._wait
        delay = 0.01
        while not await self._redis.set(self._key, self._owner, nx=True, px=self._ttl_ms):
            if time.monotonic() > deadline:
                raise LockTimeout(f"{self._key} still locked after {self._wait:.0f} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._redis.eval(DELETE_IF_EQUAL, 1, self._key, self._owner)


_RENEW_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisLease:
    """`async with RedisLease(redis, key, seconds):` — for long work (minutes to hours): taken
    without waiting (`LockTimeout` when held), renewed every third of `seconds` while the work
    runs, so a crashed holder frees it within `seconds`."""

    def __init__(self, redis: Redis, key: str, seconds: int) -> None:
        self._redis, self._key, self._seconds = redis, key, seconds
        self._owner = secrets.token_hex(8)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RedisLease:
        if not await self._redis.set(self._key, self._owner, nx=True, ex=self._seconds):
            raise LockTimeout(f"{self._key} is held by another process")
        self._task = asyncio.create_task(self._renew(), name=f"lease {self._key}")
        return self

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._seconds / 3)
            with contextlib.suppress(RedisError, OSError):
                ttl_ms = self._seconds * 1000
                if not await self._redis.eval(_RENEW_IF_EQUAL, 1, self._key, self._owner, ttl_ms):
                    log.warning("lease %s expired while its work was running", self._key)
                    return

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
        await self._redis.eval(DELETE_IF_EQUAL, 1, self._key, self._owner)
