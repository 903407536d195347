"""The event stream as one consumer of the group `bot` works it: every read and write of the
stream, its done-marks and its retry schedule that the consumer makes, in one place.

Acks and done-marks of concurrent events share round trips (`GroupCommit`): under a burst, one
pipeline of commands per batch instead of one per event and handler.
"""

from __future__ import annotations

import random
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.config import PipelineSettings
from bot.keys import RedisKeys
from bot.pipeline.claims import GROUP, Fields
from bot.pipeline.deadletter import move_to_dead_letters
from bot.storage.batching import GroupCommit

DONE_TTL_SECONDS = 7 * 86400


class EventStream:
    """One consumer's side of the stream (`keys.events`, `handlers_done`, `retry_schedule`)."""

    def __init__(
        self, redis: Redis, keys: RedisKeys, consumer: str, settings: PipelineSettings
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._consumer = consumer
        self._settings = settings
        self._acks: GroupCommit[str, None] = GroupCommit(self._ack_batch)
        self._marks: GroupCommit[tuple[str, str], None] = GroupCommit(self._mark_batch)

    async def ensure_group(self) -> None:
        try:
            # "0", not "$": events enqueued before the group existed must be handled too
            await self._redis.xgroup_create(self._keys.events, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, count: int) -> list[tuple[str, Fields]]:
        """New entries for this consumer (blocks up to the settings' `block_ms`)."""
        result = await self._redis.xreadgroup(
            GROUP,
            self._consumer,
            {self._keys.events: ">"},
            count=count,
            block=self._settings.block_ms,
        )
        return [entry for _stream, entries in result or [] for entry in entries]

    async def due_retries(self, count: int) -> list[str]:
        return list(
            await self._redis.zrangebyscore(
                self._keys.retry_schedule, "-inf", time.time(), start=0, num=count
            )
        )

    async def take_retry(self, entry_id: str) -> Any:
        """Claim a due retry for this consumer; the claimed entries (none if another process
        took it first)."""
        if not await self._redis.zrem(self._keys.retry_schedule, entry_id):
            return []
        return await self._redis.xclaim(
            self._keys.events, GROUP, self._consumer, min_idle_time=0, message_ids=[entry_id]
        )

    async def retry_now(self, entry_id: str) -> None:
        await self._redis.zadd(self._keys.retry_schedule, {entry_id: time.time()})

    async def schedule_retry(self, entry_id: str, attempt: int) -> None:
        """Retry after an exponential backoff with jitter."""
        settings = self._settings
        ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (attempt - 1))
        due = time.time() + random.uniform(ceiling / 2, ceiling)
        await self._redis.zadd(self._keys.retry_schedule, {entry_id: due})

    async def ack_gone(self, entry_ids: list[str]) -> None:
        """Ack pending entries whose content was trimmed away (nothing left to handle)."""
        await self._redis.xack(self._keys.events, GROUP, *entry_ids)

    async def touch(self, entry_ids: list[str]) -> None:
        """Reset the idle time of entries this consumer still works on (JUSTID: the delivery
        count stays), so the idle reclaim doesn't take them over while they wait."""
        await self._redis.xclaim(
            self._keys.events, GROUP, self._consumer, 0, entry_ids, justid=True
        )

    async def delivery_count(self, entry_id: str) -> int:
        rows = await self._redis.xpending_range(
            self._keys.events, GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(rows[0]["times_delivered"]) if rows else 1

    async def done_handlers(self, entry_id: str) -> set[str]:
        return set(await self._redis.smembers(self._keys.handlers_done(entry_id)))

    async def mark_done(self, entry_id: str, handler: str) -> None:
        await self._marks.submit((self._keys.handlers_done(entry_id), handler))

    async def ack(self, entry_id: str) -> None:
        """Finish an entry: acked, deleted, its done-marks gone."""
        await self._acks.submit(entry_id)

    async def dead_letter(self, entry_id: str, fields: Fields, error: str, attempt: int) -> None:
        await move_to_dead_letters(self._redis, self._keys, GROUP, entry_id, fields, error, attempt)

    async def _ack_batch(self, entry_ids: list[str]) -> list[None]:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.xack(self._keys.events, GROUP, *entry_ids)
            tx.xdel(self._keys.events, *entry_ids)
            tx.delete(*(self._keys.handlers_done(entry_id) for entry_id in entry_ids))
            await tx.execute()
        return [None] * len(entry_ids)

    async def _mark_batch(self, marks: list[tuple[str, str]]) -> list[None]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for done_key, handler in marks:
                pipe.sadd(done_key, handler)
                pipe.expire(done_key, DONE_TTL_SECONDS)
            await pipe.execute()
        return [None] * len(marks)
