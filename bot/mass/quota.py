"""The mass-message quota, counted before any task is made (doc 92135).

WeCom lets each customer (or customer group) receive a limited number of mass messages — by
default as many a month as the month has days; an admin may set 7 a week or 1 a day — from all
tasks together, and silently leaves out those over it. So the bot reserves a place for every
target before creating a task: those with no place left are left out and reported instead of
bouncing. One script per reservation makes concurrent tasks share the quota correctly; a place
is given back when WeCom refuses the task or it is cancelled before sending.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from redis.asyncio import Redis

from bot.keys import RedisKeys

POLICIES = ("month", "week", "day")
MAX_TARGETS = 10_000  # a task's most recipients; a reservation is one script over them

# KEYS[1] the period's hash, KEYS[2] today's marks, KEYS[3..] the days' marks that make a target
# "recent" (skipped); ARGV[1] the limit, ARGV[2] the period's TTL, ARGV[3] a day's, ARGV[4..]
# targets. Returns {over, recent}: the targets left out; the others now hold a place.
_RESERVE = """
local over, recent = {}, {}
for i = 4, #ARGV do
  local t = ARGV[i]
  local seen = false
  for k = 3, #KEYS do
    if redis.call('HEXISTS', KEYS[k], t) == 1 then seen = true break end
  end
  if seen then
    recent[#recent + 1] = t
  elseif tonumber(redis.call('HGET', KEYS[1], t) or '0') < tonumber(ARGV[1]) then
    redis.call('HINCRBY', KEYS[1], t, 1)
    redis.call('HINCRBY', KEYS[2], t, 1)
  else
    over[#over + 1] = t
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {over, recent}
"""
# KEYS[1] the period's hash, KEYS[2] the day's marks; ARGV targets. Gives one place back to
# each (never below 0).
_RELEASE = """
for i = 1, #ARGV do
  for k = 1, 2 do
    local n = tonumber(redis.call('HGET', KEYS[k], ARGV[i]) or '0')
    if n > 1 then
      redis.call('HINCRBY', KEYS[k], ARGV[i], -1)
    elseif n == 1 then
      redis.call('HDEL', KEYS[k], ARGV[i])
    end
  end
end
return 1
"""
DAY_MARKS_SECONDS = 8 * 86400  # a week's marks, for "skip who got one this week"


@dataclass(frozen=True, slots=True)
class Period:
    """One quota period: its key, how many messages a target may get in it, how long to keep."""

    key: str
    limit: int
    keep_seconds: int


def period(policy: str, day: date) -> Period:
    """The period `day` (corp time) falls in under `policy`."""
    if policy == "day":
        return Period(f"d{day.isoformat()}", 1, 2 * 86400)
    if policy == "week":
        year, week, _ = day.isocalendar()
        return Period(f"w{year}-{week:02d}", 7, 8 * 86400)
    if policy != "month":
        raise ValueError(f"policy must be one of {POLICIES}")
    days = calendar.monthrange(day.year, day.month)[1]
    return Period(f"m{day.year:04d}-{day.month:02d}", days, 32 * 86400)


class MassQuota:
    """Places in the mass-message quota, per target and period (the one writer of its keys)."""

    def __init__(self, redis: Redis, keys: RedisKeys, policy: str) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}")
        self._redis = redis
        self._keys = keys
        self._policy = policy
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)

    async def reserve(
        self, targets: list[str], day: date, skip: str = "none"
    ) -> tuple[list[str], list[str], list[str]]:
        """(kept, over, recent): a place is taken for each kept target; `over` have none left;
        `recent` already got a mass message today (`skip` "day") or this ISO week ("week")."""
        if len(targets) > MAX_TARGETS:
            raise ValueError(f"at most {MAX_TARGETS} targets a reservation")
        unique = list(dict.fromkeys(targets))
        if not unique:
            return [], [], []
        now = period(self._policy, day)
        keys = [self._keys.mass_quota(now.key), self._keys.mass_day(day.isoformat())]
        keys += [self._keys.mass_day(d.isoformat()) for d in recent_days(day, skip)]
        args = [now.limit, now.keep_seconds, DAY_MARKS_SECONDS, *unique]
        over_list, recent_list = await self._reserve(keys=keys, args=args)
        over, recent = set(over_list), set(recent_list)
        kept = [t for t in unique if t not in over and t not in recent]
        return kept, [t for t in unique if t in over], [t for t in unique if t in recent]

    async def release(self, targets: list[str], day: date) -> None:
        """Give the places back (WeCom refused the task, or it was cancelled unsent); `day`
        is the day they were reserved."""
        if targets:
            keys = [
                self._keys.mass_quota(period(self._policy, day).key),
                self._keys.mass_day(day.isoformat()),
            ]
            await self._release(keys=keys, args=list(dict.fromkeys(targets)))

    async def used(self, target: str, day: date) -> int:
        key = self._keys.mass_quota(period(self._policy, day).key)
        return int(await self._redis.hget(key, target) or 0)

    async def standing(
        self, targets: list[str], day: date, skip: str = "none"
    ) -> tuple[list[str], list[str]]:
        """(over, recent) among `targets` now, reserving nothing (for a preview)."""
        if not targets:
            return [], []
        now = period(self._policy, day)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self._keys.mass_quota(now.key), targets)
            for d in recent_days(day, skip):
                pipe.hmget(self._keys.mass_day(d.isoformat()), targets)
            replies = await pipe.execute()
        marked = {t for reply in replies[1:] for t, n in zip(targets, reply, strict=True) if n}
        over = [
            t
            for t, n in zip(targets, replies[0], strict=True)
            if t not in marked and int(n or 0) >= now.limit
        ]
        return over, [t for t in targets if t in marked]


def recent_days(day: date, skip: str) -> list[date]:
    """The days whose mass messages make a target "recent" under `skip`."""
    if skip == "day":
        return [day]
    if skip == "week":
        return [day - timedelta(days=n) for n in range(day.isoweekday())]
    return []
