"""Durable, deduplicated enqueue of decrypted callbacks into the Redis event stream."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from bot.events import Event
from bot.keys import RedisKeys

# Dedup mark and XADD in one script: one round trip, and no window in which the mark exists
# without the event (or the reverse). Both keys share the corp's hash tag.
_INGEST = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[2], '*', 'xml', ARGV[3], 'received_ms', ARGV[4], 'fp', ARGV[1])
end
return false
"""


def fingerprint(event: Event, xml: str) -> str:
    """WeCom's MsgId for app messages, else a hash of the decrypted XML (retries are identical)."""
    return event.dedup_id or "xml:" + hashlib.sha256(xml.encode()).hexdigest()


class EventIngest:
    """Adds callbacks to the stream unless the same one arrived within the dedup window."""

    def __init__(self, redis: Redis, keys: RedisKeys, dedup_window_seconds: int) -> None:
        self._keys = keys
        self._window = dedup_window_seconds
        self._script = redis.register_script(_INGEST)

    async def add(self, xml: str, fp: str, received_ms: int) -> str | None:
        """The new stream entry id, or None for a duplicate. Raises redis errors as they come."""
        entry_id = await self._script(
            keys=[self._keys.dedup(fp), self._keys.events],
            args=[fp, self._window, xml, received_ms],
        )
        return str(entry_id) if entry_id else None
