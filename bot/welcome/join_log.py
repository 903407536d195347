"""Joins of customer groups that have a join greeting: who joined which group under which
group welcome, in a capped stream the SOP and mass-send flows read, with counts per welcome.

The seen mark, the entry and the counts are one Lua step: a retried or taken-over event (the
pipeline may run a handler again if it died before marking it done) is recorded once.
"""

from __future__ import annotations

from bot.keys import RedisKeys
from bot.storage.topology import RedisClient

GREETING_LOG_MAXLEN = 100_000
SEEN_SECONDS = 86_400  # longer than any retry or take-over of one event
# KEYS: seen mark, stream, stats; ARGV: ttl, maxlen, welcome id, member count, field/value pairs
_RECORD = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return false end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 5))
redis.call('HINCRBY', KEYS[3], ARGV[3] .. ':events', 1)
redis.call('HINCRBY', KEYS[3], ARGV[3] .. ':members', ARGV[4])
return entry
"""


class JoinLog:
    """The one writer of the join-greeting stream, its seen marks and its counts."""

    def __init__(self, redis: RedisClient, keys: RedisKeys) -> None:
        self._keys = keys
        self._record = redis.register_script(_RECORD)

    async def record(self, mark: str, welcome_id: str, fields: dict[str, str]) -> str | None:
        """Log one join event (`mark` identifies it: a repeat logs nothing); the entry id, or
        None for a repeat. `fields` must hold `member_count`."""
        pairs = [part for item in fields.items() for part in item]
        entry = await self._record(
            keys=[
                self._keys.group_greeting_seen(mark),
                self._keys.group_greetings,
                self._keys.group_greeting_stats,
            ],
            args=[SEEN_SECONDS, GREETING_LOG_MAXLEN, welcome_id, fields["member_count"], *pairs],
        )
        return str(entry) if entry else None
