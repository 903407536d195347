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
from datetime import date

from redis.asyncio import Redis

from bot.keys import RedisKeys

POLICIES = ("month", "week", "day")
MAX_TARGETS = 10_000  # a task's most recipients; a reservation is one script over them

# KEYS[1] the period's hash; ARGV[1] the limit, ARGV[2] the TTL, ARGV[3..] targets.
# Returns the targets left out (the others now hold a place).
_RESERVE = """
local over = {}
for i = 3, #ARGV do
  if tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') < tonumber(ARGV[1]) then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  else
    over[#over + 1] = ARGV[i]
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return over
"""
# KEYS[1] the period's hash; ARGV targets. Gives one place back to each (never below 0).
_RELEASE = """
for i = 1, #ARGV do
  if tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') > 0 then
    redis.call('HINCRBY', KEYS[1], ARGV[i], -1)
  end
end
return 1
"""


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

    async def reserve(self, targets: list[str], day: date) -> tuple[list[str], list[str]]:
        """(kept, over): a place is taken for each kept target; `over` have none left."""
        if len(targets) > MAX_TARGETS:
            raise ValueError(f"at most {MAX_TARGETS} targets a reservation")
        unique = list(dict.fromkeys(targets))
        if not unique:
            return [], []
        now = period(self._policy, day)
        key = self._keys.mass_quota(now.key)
        over = set(await self._reserve(keys=[key], args=[now.limit, now.keep_seconds, *unique]))
        return [t for t in unique if t not in over], [t for t in unique if t in over]

    async def release(self, targets: list[str], day: date) -> None:
        """Give the places back (WeCom refused the task, or it was cancelled unsent)."""
        if targets:
            key = self._keys.mass_quota(period(self._policy, day).key)
            await self._release(keys=[key], args=list(dict.fromkeys(targets)))

    async def used(self, target: str, day: date) -> int:
        key = self._keys.mass_quota(period(self._policy, day).key)
        return int(await self._redis.hget(key, target) or 0)
