"""Joins through each group live code and leaves of those who joined through it, by corp-time
day: counted once per event (a retried event is not counted again), kept `KEEP_DAYS`. Who
joined through which code is remembered per group (`MEMBER_DAYS`), so a leave finds its code;
and which groups each code filled, so the groups WeCom created for it are known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from redis.asyncio import Redis

from bot.keys import RedisKeys

KEEP_DAYS = 400  # as long as the other daily statistics (`bot.stats.report.MAX_DAYS`)
MEMBER_DAYS = 180
SEEN_SECONDS = 7 * 86400  # well beyond any retry of one event
MAX_CHATS = 200  # groups remembered per code: 5 configured and those WeCom made after them
# KEYS[1] seen mark, KEYS[2] the day's joins, KEYS[3] the group's members, KEYS[4] the code's
# groups; ARGV[1] code id, ARGV[2] seen TTL, ARGV[3] the day's TTL, ARGV[4] the members' TTL,
# ARGV[5] the group, ARGV[6] most groups kept, ARGV[7..] who joined.
# 1 when counted, 0 when this event was counted before.
_JOINED = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], math.max(#ARGV - 6, 1))
redis.call('EXPIRE', KEYS[2], ARGV[3])
for i = 7, #ARGV do redis.call('HSET', KEYS[3], ARGV[i], ARGV[1]) end
redis.call('EXPIRE', KEYS[3], ARGV[4])
if redis.call('SCARD', KEYS[4]) < tonumber(ARGV[6]) then redis.call('SADD', KEYS[4], ARGV[5]) end
redis.call('EXPIRE', KEYS[4], ARGV[4])
return 1
"""
# KEYS[1] seen mark, KEYS[2] the group's members, KEYS[3] the day's leaves; ARGV[1] seen TTL,
# ARGV[2] the day's TTL, ARGV[3..] who left. Returns how many leaves were counted.
_LEFT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local counted = 0
for i = 3, #ARGV do
  local code = redis.call('HGET', KEYS[2], ARGV[i])
  if code then
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('HINCRBY', KEYS[3], code, 1)
    counted = counted + 1
  end
end
if counted > 0 then redis.call('EXPIRE', KEYS[3], ARGV[2]) end
return counted
"""


# KEYS[1] seen mark, then per customer: that add day's set and hash; ARGV[1] seen TTL, ARGV[2]
# the days' TTL, ARGV[3] the code id, then per customer: customer, channel. Returns how many
# customers were counted (each once per add day, however often they join).
_GUIDED = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local counted = 0
for i = 2, #KEYS, 2 do
  local a = 4 + (i - 2)
  if redis.call('SADD', KEYS[i], ARGV[a]) == 1 then
    redis.call('HINCRBY', KEYS[i + 1], ARGV[a + 1], 1)
    redis.call('HINCRBY', KEYS[i + 1], ARGV[a + 1] .. '|' .. ARGV[3], 1)
    redis.call('EXPIRE', KEYS[i], ARGV[2])
    redis.call('EXPIRE', KEYS[i + 1], ARGV[2])
    counted = counted + 1
  end
end
return counted
"""


@dataclass(frozen=True, slots=True)
class Guided:
    """A customer who joined through a group live code after adding through a channel."""

    customer: str
    channel: str
    added: date  # the corp-time day they added: the funnel's row


@dataclass(frozen=True, slots=True)
class CodeSummary:
    """A code's joins and leaves over a span of days: net and how many of those who joined
    stayed (leaves count only those who had joined through the code)."""

    days: int
    joins: int
    leaves: int

    @property
    def net(self) -> int:
        return self.joins - self.leaves

    @property
    def retention(self) -> float | None:
        """Share of the span's joins not matched by a leave; None without joins."""
        return max(self.net, 0) / self.joins if self.joins else None


def summed(counted: list[tuple[date, int, int]], days: int) -> CodeSummary:
    """The last `days` of `counted` (day, joins, leaves), oldest first, summed."""
    span = counted[-days:]
    return CodeSummary(days, sum(j for _, j, _ in span), sum(n for _, _, n in span))


class GroupCodeStats:
    """Joins per group live code per day (the one writer of its keys)."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._joined = redis.register_script(_JOINED)
        self._left = redis.register_script(_LEFT)
        self._guided = redis.register_script(_GUIDED)

    async def joined(
        self, mark: str, code_id: str, chat_id: str, members: list[str], day: date
    ) -> bool:
        """Count `members` joining `chat_id` through `code_id` on `day`, once per `mark`."""
        keys = [
            self._keys.group_code_seen(mark),
            self._keys.group_code_joins(day.isoformat()),
            self._keys.group_code_members(chat_id),
            self._keys.group_code_chats(code_id),
        ]
        ttls = [SEEN_SECONDS, KEEP_DAYS * 86400, MEMBER_DAYS * 86400]
        args = [code_id, *ttls, chat_id, MAX_CHATS, *members]
        return bool(await self._joined(keys=keys, args=args))

    async def guided(self, mark: str, code_id: str, joined: list[Guided]) -> int:
        """Count, for their channel and add day, the customers who joined through `code_id`
        (each once per add day); once per `mark`. Returns how many were counted."""
        keys = [self._keys.group_code_seen(f"{mark}|guided")]
        args: list[str | int] = [SEEN_SECONDS, KEEP_DAYS * 86400, code_id]
        for one in joined:
            day = one.added.isoformat()
            keys += [self._keys.group_code_guided_who(day), self._keys.group_code_guided(day)]
            args += [one.customer, one.channel]
        return int(await self._guided(keys=keys, args=args))

    async def guided_days(self, days: int, today: date) -> dict[date, dict[str, int]]:
        """For each of the last `days` add days: channel -> customers who joined a group
        through a code (and "<channel>|<code>" -> the same per code)."""
        span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in span:
                pipe.hgetall(self._keys.group_code_guided(day.isoformat()))
            rows = await pipe.execute()
        return {
            day: {key: int(value) for key, value in row.items()}
            for day, row in zip(span, rows, strict=True)
        }

    async def chats(self, code_id: str) -> set[str]:
        """The groups customers joined through the code (its own and those WeCom created)."""
        return set(await self._redis.smembers(self._keys.group_code_chats(code_id)))

    async def summary(self, code_id: str, days: int, today: date) -> CodeSummary:
        """Joins, leaves, net and retention over the last `days` days."""
        return summed(await self.days(code_id, days, today), days)

    async def left(self, mark: str, chat_id: str, members: list[str], day: date) -> int:
        """Count, for their codes, the `members` leaving `chat_id` who had joined through one;
        once per `mark`. Returns how many were counted."""
        keys = [
            self._keys.group_code_seen(mark),
            self._keys.group_code_members(chat_id),
            self._keys.group_code_leaves(day.isoformat()),
        ]
        return int(await self._left(keys=keys, args=[SEEN_SECONDS, KEEP_DAYS * 86400, *members]))

    async def joins(self, code_id: str, days: int, today: date) -> list[tuple[date, int]]:
        """(day, joins) for the last `days` days, oldest first."""
        return [(day, joins) for day, joins, _ in await self.days(code_id, days, today)]

    async def days(self, code_id: str, days: int, today: date) -> list[tuple[date, int, int]]:
        """(day, joins, leaves) for the last `days` days, oldest first."""
        span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in span:
                pipe.hget(self._keys.group_code_joins(day.isoformat()), code_id)
                pipe.hget(self._keys.group_code_leaves(day.isoformat()), code_id)
            counts = await pipe.execute()
        pairs = zip(counts[::2], counts[1::2], strict=True)
        return [
            (day, int(joins or 0), int(leaves or 0))
            for day, (joins, leaves) in zip(span, pairs, strict=True)
        ]
