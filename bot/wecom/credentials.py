"""Access tokens and JS-SDK tickets cached in Redis, refreshed by one caller at a time.

WeCom rate-limits `gettoken` and the ticket endpoints and invalidates older tokens when many
are issued, so across all processes only the holder of a short Redis lock fetches; the others
wait for the value to appear.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from bot.storage.locks import DELETE_IF_EQUAL
from bot.wecom.errors import WeComError

Fetch = Callable[[], Awaitable[tuple[str, int]]]

EXPIRY_MARGIN_SECONDS = 300
# How long a process reuses a value it read from Redis without asking again. Safe because the
# Redis copy expires EXPIRY_MARGIN_SECONDS before WeCom's, and a token WeCom calls invalid is
# dropped here at once (`invalidate`); it saves a round trip on every call.
LOCAL_SECONDS = 30.0


def cache_ttl(expires_in: int) -> int:
    """`expires_in - 300`, or half the lifetime when it is too short for that margin."""
    if expires_in > 2 * EXPIRY_MARGIN_SECONDS:
        return expires_in - EXPIRY_MARGIN_SECONDS
    return max(expires_in // 2, 1)


class CachedCredential:
    """One cached credential (a token or ticket) under `key`, fetched with `fetch`."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        lock_key: str,
        fetch: Fetch,
        *,
        lock_seconds: float = 15.0,
        wait_seconds: float = 20.0,
    ) -> None:
        self._redis = redis
        self.key = key
        self._lock_key = lock_key
        self._fetch = fetch
        self._lock_ms = int(lock_seconds * 1000)
        self._wait_seconds = wait_seconds
        self._local = asyncio.Lock()
        self._delete_if_equal = redis.register_script(DELETE_IF_EQUAL)
        self._held: tuple[str, float] | None = None  # (value, monotonic time to ask again)

    async def get(self) -> str:
        if self._held is not None and time.monotonic() < self._held[1]:
            return self._held[0]
        value = await self._cached()
        if not value:
            async with self._local:  # one waiter per process; the rest reuse its result
                value = await self._cached() or await self._refresh()
        self._held = (value, time.monotonic() + LOCAL_SECONDS)
        return value

    async def _cached(self) -> str | None:
        value = await self._redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    async def _refresh(self) -> str:
        owner = secrets.token_hex(8)
        deadline = time.monotonic() + self._wait_seconds
        delay = 0.02
        while True:
            if await self._redis.set(self._lock_key, owner, nx=True, px=self._lock_ms):
                try:
                    fresh, expires_in = await self._fetch()
                    await self._redis.set(self.key, fresh, ex=cache_ttl(expires_in))
                    return fresh
                finally:
                    await self._delete_if_equal(keys=[self._lock_key], args=[owner])
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)
            cached = await self._cached()
            if cached:
                return cached
            if time.monotonic() > deadline:
                raise WeComError(-1, "timed out waiting for another process to refresh", self.key)

    async def invalidate(self, stale: str) -> None:
        """Forget `stale` (WeCom said it is invalid) unless it was already replaced."""
        if self._held is not None and self._held[0] == stale:
            self._held = None
        await self._delete_if_equal(keys=[self.key], args=[stale])
