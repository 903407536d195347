"""Joins through each group live code, by corp-time day: counted once per join event (a
retried event is not counted again), kept `KEEP_DAYS`."""

from __future__ import annotations

from datetime import date, timedelta

from redis.asyncio import Redis

from bot.keys import RedisKeys

KEEP_DAYS = 90
SEEN_SECONDS = 7 * 86400  # well beyond any retry of one event
# KEYS[1] seen mark, KEYS[2] the day's hash; ARGV[1] code id, ARGV[2] joins, ARGV[3] seen TTL,
# ARGV[4] the day's TTL. 1 when counted, 0 when this event was counted before.
_COUNT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"""


class GroupCodeStats:
    """Joins per group live code per day (the one writer of its keys)."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._count = redis.register_script(_COUNT)

    async def joined(self, mark: str, code_id: str, joins: int, day: date) -> bool:
        """Count `joins` customers joining through `code_id` on `day`, once per `mark`."""
        keys = [self._keys.group_code_seen(mark), self._keys.group_code_joins(day.isoformat())]
        counted = await self._count(
            keys=keys, args=[code_id, joins, SEEN_SECONDS, KEEP_DAYS * 86400]
        )
        return bool(counted)

    async def joins(self, code_id: str, days: int, today: date) -> list[tuple[date, int]]:
        """(day, joins) for the last `days` days, oldest first."""
        span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in span:
                pipe.hget(self._keys.group_code_joins(day.isoformat()), code_id)
            counts = await pipe.execute()
        return [(day, int(count or 0)) for day, count in zip(span, counts, strict=True)]
