"""Handing a command's answer to the callback request that is still waiting for it.

WeCom shows a passive reply (the encrypted answer to its POST) at once, but waits at most 5 s.
The callback request waits a little for the worker that runs the command; whichever side is
first settles it atomically in Redis: the worker's answer is either picked up by the request
or, once the request gave up, the worker sends it with `message/send`. Never both, never none.
A request that lost Redis while waiting (a restart) can neither take the answer nor mark itself
gone, so the worker confirms the hand-over: an answer still unclaimed once the request must have
stopped waiting is taken back and sent by the worker instead.
"""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.keys import RedisKeys

HANDOFF_SECONDS = 60
PASSIVE_WAIT_SECONDS = 3.0  # of WeCom's 5: room for the decrypt before and the answer after
BLOCK_SLICE_SECONDS = 1.0
# an offered answer is in the request's hands by then, or it never will be
CONFIRM_SECONDS = PASSIVE_WAIT_SECONDS + 1.0
CONFIRM_POLL_SECONDS = 0.05
TAKEN = "taken"  # the "done" mark once the request replied with an answer; "1": it gave up

# KEYS[1] reply list, KEYS[2] the request's "done" mark; ARGV[1] answer, ARGV[2] ttl.
# 1 = offered, 0 = the request gave up (send it yourself), 2 = it already replied with one.
_OFFER = """
local done = redis.call('GET', KEYS[2])
if done == 'taken' then return 2 end
if done then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
# KEYS as above; ARGV[1] ttl. The answer if it came meanwhile, else marks the request gone.
_GIVE_UP = """
local answer = redis.call('LPOP', KEYS[1])
redis.call('SET', KEYS[2], answer and 'taken' or '1', 'EX', ARGV[1])
return answer or false
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
        return [f"{base}:reply", f"{base}:late"]  # the reply list, the request's "done" mark

    async def offer(self, msgid: str, answer: str) -> bool:
        """From the worker: True when the waiting request took `answer` as its reply (or took
        an earlier offer of it); False when the worker must send it."""
        keys = self._keys_of(msgid)
        offered = await self._offer(keys=keys, args=[answer, HANDOFF_SECONDS])
        if int(offered) != 1:
            return int(offered) == 2
        deadline = time.monotonic() + CONFIRM_SECONDS
        while time.monotonic() < deadline:
            if not await self._redis.llen(keys[0]):
                return True  # the request took it
            await asyncio.sleep(CONFIRM_POLL_SECONDS)
        # no request is waiting any more (it lost Redis, or none waited): take it back
        return await self._redis.lpop(keys[0]) is None

    async def wait(self, msgid: str, seconds: float = PASSIVE_WAIT_SECONDS) -> str | None:
        """From the callback request: the answer if it comes within `seconds`, else None (the
        worker will then send it itself)."""
        reply_key, done_key = self._keys_of(msgid)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            # in slices shorter than the client's 2 s socket timeout
            got = await self._redis.blpop([reply_key], timeout=min(left, BLOCK_SLICE_SECONDS))
            if got is not None:
                await self._redis.set(done_key, TAKEN, ex=HANDOFF_SECONDS)  # a re-offer is refused
                return str(got[1])
        answer = await self._give_up(keys=self._keys_of(msgid), args=[HANDOFF_SECONDS])
        return str(answer) if answer else None
