"""Heartbeats of the pipeline's consumers, so the entries of one that died (SIGKILL, OOM) are
taken over within seconds instead of after `reclaim_idle_seconds` (a welcome has 20 s).

Each consumer renews a key with a short TTL every second and is listed in a set of consumers
that do so (older versions don't, and are left to the idle-time reclaim). A listed consumer
whose key is gone, and stays gone for a grace period, is dead: after a Redis restart longer
than the TTL every key has expired until the consumers' next renewals, hence the grace.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

from bot.keys import RedisKeys

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0  # each consumer renews its key this often…
LIVENESS_SECONDS = 5  # …which expires this long after the last renewal
TAKEOVER_GRACE_SECONDS = 3.0  # and must stay gone this long before the consumer counts as dead


class Liveness:
    """One consumer's heartbeat, and its view of which other consumers stopped beating."""

    def __init__(self, redis: Redis, keys: RedisKeys, consumer: str) -> None:
        self._redis = redis
        self._events = keys.events
        self.consumer = consumer
        self._silent_since: dict[str, float] = {}

    def _alive_key(self, consumer: str) -> str:
        return f"{self._events}:alive:{consumer}"

    @property
    def _beating(self) -> str:
        return f"{self._events}:heartbeats"

    async def beat(self) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(self._beating, self.consumer)
            pipe.set(self._alive_key(self.consumer), "1", ex=LIVENESS_SECONDS)
            await pipe.execute()

    async def run(self) -> None:
        """Beat every HEARTBEAT_SECONDS until cancelled."""
        while True:
            try:
                await self.beat()
            except Exception as exc:  # never stop beating while alive: others would take over
                log.warning("pipeline heartbeat not renewed: %s", exc)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def dead(self) -> list[str]:
        """The other consumers whose heartbeat has been gone for the grace period."""
        others = [n for n in await self._redis.smembers(self._beating) if n != self.consumer]
        beats = await self._redis.mget([self._alive_key(n) for n in others]) if others else []
        now = time.monotonic()
        found = []
        for name, beat in zip(others, beats, strict=True):
            if beat is not None:
                self._silent_since.pop(name, None)
            elif now - self._silent_since.setdefault(name, now) >= TAKEOVER_GRACE_SECONDS:
                found.append(name)
        return found

    async def forget(self, consumer: str) -> None:
        """Stop watching a consumer (it holds nothing any more)."""
        await self._redis.srem(self._beating, consumer)
        self._silent_since.pop(consumer, None)

    async def stop(self) -> None:
        """This consumer stops: what it leaves pending is taken over at once."""
        await self._redis.delete(self._alive_key(self.consumer))
