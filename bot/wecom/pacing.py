"""Pacing of bulk WeCom calls across every process of a deployment.

WeCom allows 10,000 calls a minute per corp and API (doc 90454); past that it answers 45009 to
everyone, including the welcome and the sidebar. Bulk work — auto-tagging bursts, an RFM run
re-tagging thousands of customers — takes a slot per call from a per-second counter in Redis,
so all processes together stay under a share of that budget and leave the rest to others.
"""

from __future__ import annotations

import asyncio
import random
import time

from redis.asyncio import Redis

from bot.keys import RedisKeys

# mark_tag's share: 3,000 a minute, under a third of WeCom's limit for the API
MARK_TAG_PER_SECOND = 50


class CallPacer:
    """Hands out at most `per_second` slots a second for one API, shared through Redis."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: str, per_second: int) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self._redis = redis
        self._keys = keys
        self._api = api
        self.per_second = per_second

    async def slot(self, max_wait: float | None = None) -> int | None:
        """Wait until this process may make one call; returns the second of the slot, or None
        when none came within `max_wait` seconds (the caller then tries again later)."""
        give_up = None if max_wait is None else time.monotonic() + max_wait
        while True:
            now = time.time()
            second = int(now)
            key = self._keys.api_pace(self._api, second)
            async with self._redis.pipeline(transaction=True) as tx:
                tx.incr(key)
                tx.expire(key, 5)
                taken, _ = await tx.execute()
            if int(taken) <= self.per_second:
                return second
            # spread the waiters over the next second rather than all at its first instant
            pause = second + 1 - now + random.uniform(0, 0.05)
            if give_up is not None and time.monotonic() + pause > give_up:
                return None
            await asyncio.sleep(pause)
