"""Handing a command's answer to the callback request that is still waiting for it.

WeCom shows a passive reply (the encrypted answer to its POST) at once, but waits at most 5 s.
The callback request waits a little for the worker that runs the command; whichever side is
first settles it atomically in Redis: the worker's answer is either picked up by the request
or, once the request gave up, the worker sends it with `message/send`. Never both, never none
(short of the waiting process dying between the two).
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.keys import RedisKeys

HANDOFF_SECONDS = 60
PASSIVE_WAIT_SECONDS = 3.0  # of WeCom's 5: room for the decrypt before and the answer after
BLOCK_SLICE_SECONDS = 1.0

# KEYS[1] reply list, KEYS[2] "too late" mark; ARGV[1] answer, ARGV[2] ttl. 1 = handed over.
_OFFER = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
# KEYS as above; ARGV[1] ttl. The answer if it came meanwhile, else marks the request gone.
_GIVE_UP = """
local answer = redis.call('LPOP', KEYS[1])
if answer then return answer end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return false
"""


class ReplyHandoff:
    """The meeting point of a callback request and the worker answering its message."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._offer = redis.register_script(_OFFER)
        self._give_up = redis.register_script(_GIVE_UP)

    def _keys_of(self, msgid: str) -> list[str]:
        base = self._keys.admin_seen(msgid)
        return [f"{base}:reply", f"{base}:late"]

    async def offer(self, msgid: str, answer: str) -> bool:
        """From the worker: True when the waiting request takes `answer` as its reply."""
        taken = await self._offer(keys=self._keys_of(msgid), args=[answer, HANDOFF_SECONDS])
        return bool(taken)

    async def wait(self, msgid: str, seconds: float = PASSIVE_WAIT_SECONDS) -> str | None:
        """From the callback request: the answer if it comes within `seconds`, else None (the
        worker will then send it itself)."""
        reply_key, _late = self._keys_of(msgid)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            # in slices shorter than the client's 2 s socket timeout
            got = await self._redis.blpop([reply_key], timeout=min(left, BLOCK_SLICE_SECONDS))
            if got is not None:
                return str(got[1])
        answer = await self._give_up(keys=self._keys_of(msgid), args=[HANDOFF_SECONDS])
        return str(answer) if answer else None
