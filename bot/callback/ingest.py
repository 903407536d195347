"""Durable, deduplicated enqueue of decrypted callbacks into the Redis event stream."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from bot.events import Event
from bot.keys import RedisKeys
from bot.storage.batching import GroupCommit

# Dedup mark and XADD in one script, for a batch of callbacks: one round trip, and no window
# in which a mark exists without its event (or the reverse). All keys share the corp's hash tag.
# KEYS[1] = stream, KEYS[1+i] = dedup key of callback i; ARGV[1] = ttl, then fp, xml, received.
_INGEST = """
local out = {}
for i = 2, #KEYS do
  local a = 2 + (i - 2) * 3
  if redis.call('SET', KEYS[i], ARGV[a], 'NX', 'EX', ARGV[1]) then
    out[i - 1] = redis.call('XADD', KEYS[1], '*',
      'xml', ARGV[a + 1], 'received_ms', ARGV[a + 2], 'fp', ARGV[a])
  else
    out[i - 1] = false
  end
end
return out
"""

Callback = tuple[str, str, int]  # (xml, fingerprint, received_ms)


def fingerprint(event: Event, xml: str) -> str:
    """WeCom's MsgId for app messages, else a hash of the decrypted XML (retries are identical)."""
    return event.dedup_id or "xml:" + hashlib.sha256(xml.encode()).hexdigest()


MARK_MARGIN_SECONDS = 60


def mark_seconds(dedup_window_seconds: int) -> int:
    """How long a callback's dedup mark lives. The endpoint accepts a timestamp up to the
    window behind *or ahead of* our clock, so a callback dated ahead can be replayed until
    twice the window after it first arrived: the mark must outlive that."""
    return 2 * dedup_window_seconds + MARK_MARGIN_SECONDS


class EventIngest:
    """Adds callbacks to the stream unless the same one arrived within the dedup window."""

    def __init__(self, redis: Redis, keys: RedisKeys, dedup_window_seconds: int) -> None:
        self._keys = keys
        self._window = mark_seconds(dedup_window_seconds)
        self._script = redis.register_script(_INGEST)
        self._batcher: GroupCommit[Callback, str | None] = GroupCommit(self._add_batch)

    async def add(self, xml: str, fp: str, received_ms: int) -> str | None:
        """The new stream entry id, or None for a duplicate. Raises redis errors as they come."""
        return await self._batcher.submit((xml, fp, received_ms))

    async def _add_batch(self, callbacks: list[Callback]) -> list[str | None]:
        keys = [self._keys.events] + [self._keys.dedup(fp) for _, fp, _ in callbacks]
        args: list[str | int] = [self._window]
        for xml, fp, received_ms in callbacks:
            args += [fp, xml, received_ms]
        replies = await self._script(keys=keys, args=args)
        return [str(entry_id) if entry_id else None for entry_id in replies]
