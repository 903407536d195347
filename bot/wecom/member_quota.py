"""WeCom's per-member limit on app messages, kept in Redis so every process respects it.

An app may send one member at most 30 messages a minute and 1,000 an hour (doc 90236); the
excess is dropped by WeCom without an error. Every reminder and alert takes a slot here first;
when the member's windows are full, the caller learns when the next slot frees and sends then.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.keys import RedisKeys

PER_MINUTE = 30
PER_HOUR = 1000
SLACK_SECONDS = 1.0  # our clock and WeCom's differ a little: wait a second past the window

# KEYS[1] the member's sends; ARGV[1] now, ARGV[2] per minute, ARGV[3] per hour, ARGV[4] an id
# for this send. Returns -1 when the slot is taken, else the time the next slot frees.
_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + 3600)
end
local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - 60), '+inf', 'WITHSCORES')
if #recent / 2 >= tonumber(ARGV[2]) then
  return tostring(tonumber(recent[2]) + 60)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], 3700)
return '-1'
"""


class MemberQuota:
    """Slots for app messages to one member, shared by every process."""

    def __init__(
        self, redis: Redis, keys: RedisKeys, per_minute: int = PER_MINUTE, per_hour: int = PER_HOUR
    ) -> None:
        self._keys = keys
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._take = redis.register_script(_TAKE)

    async def take(self, userid: str, send_id: str, now: float) -> float | None:
        """Take a slot for `send_id` now (None), or learn when the next one frees."""
        free_at = float(
            await self._take(
                keys=[self._keys.member_sends(userid)],
                args=[now, self.per_minute, self.per_hour, send_id],
            )
        )
        return None if free_at < 0 else free_at + SLACK_SECONDS
