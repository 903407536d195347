"""Chat text into the event stream, each message once (by source and message id).

The seen-mark and the XADD happen in one Lua call per batch, so a message is either in the
stream and marked, or neither; a KF page or an ingest batch sent again adds nothing. Marks last
30 days: longer than any sync replay or ingest retry.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.events import ChatText
from bot.keys import RedisKeys

SEEN_SECONDS = 30 * 86400
STREAM_MAXLEN = 1_000_000  # the event stream's safety cap; consumers delete what they ack

# KEYS[1] events stream, KEYS[2] a cursor to save with the batch (ARGV[4] its value; '' = none),
# KEYS[3..] seen marks; ARGV[1] ttl, ARGV[2] received_ms, ARGV[3] maxlen, ARGV[5..] message JSON.
# Returns the new entry id per message, false for a repeat.
_APPEND = """
local ids = {}
for i = 3, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3],
                               '*', 'chat', ARGV[i + 2], 'received_ms', ARGV[2])
  else
    ids[#ids + 1] = false
  end
end
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4]) end
return ids
"""


class ChatLog:
    """Appends `ChatText` messages to the event stream, skipping ones seen before."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._script = redis.register_script(_APPEND)

    async def saved_cursor(self, cursor_key: str) -> str:
        """The cursor last saved with a batch under `cursor_key` ("" before the first)."""
        return str(await self._redis.get(cursor_key) or "")

    async def append(
        self, messages: list[ChatText], cursor: tuple[str, str] | None = None
    ) -> list[ChatText]:
        """Add the new messages (and save `cursor` = (key, value) with them, atomically);
        returns the messages that were new."""
        cursor_key, cursor_value = cursor or (self._keys.events, "")
        keys = [self._keys.events, cursor_key, *(self._keys.dedup(m.dedup_id) for m in messages)]
        args: list[str | int] = [
            SEEN_SECONDS,
            int(time.time() * 1000),
            STREAM_MAXLEN,
            cursor_value,
            *(m.to_json() for m in messages),
        ]
        replies = await self._script(keys=keys, args=args)
        return [m for m, entry in zip(messages, replies, strict=True) if entry]


HISTORY_MAXLEN = 200_000


class ChatHistory:
    """Every chat message the bot saw, in a capped stream kept for review; the one writer
    of `chat_history`."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def keep(self, message: ChatText) -> None:
        await self._redis.xadd(
            self._keys.chat_history,
            {"msgid": message.msgid, "json": message.to_json()},
            maxlen=HISTORY_MAXLEN,
            approximate=True,
        )
