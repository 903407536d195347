"""SOP mass steps that batch: one WeCom mass task per member, not one per customer.

A mass step due for many customers of one member at once (a calendar rule, a tag added to
hundreds) used to make one WeCom task per customer, each to confirm on its own. Now each such
step joins its batch — the rule, the step, the member and the minute it fell due — and the
batch is made a few seconds after that minute ends: one `add_msg_template` per 10,000
recipients (2,000 groups), after their places in the mass-message quota are taken.

Exactly once: joining is one script that refuses a closed batch unless the target is already
in it (a step retried after a crash finds itself there and is not sent alone as well); the batch
job closes the batch and claims each WeCom task before the call, and a call that got no answer
is not repeated. A step whose text names the customer ({{ customer_name }}) can't share a
message and is still sent alone.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.keys import RedisKeys

JOB = "sopmass"
BATCH_SECONDS = 60
CLOSE_AFTER = 5.0  # seconds past the batch's minute: steps due in it have been claimed by then
KEEP_SECONDS = 7 * 86400

# KEYS[1] batch hash, KEYS[2] members; ARGV[1] entry, ARGV[2] ttl. 1 when in the batch.
_JOIN = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 1 end
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'open')
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""
# KEYS as above. Closes the batch (no step joins after) and returns its entries.
_CLOSE = """
redis.call('HSET', KEYS[1], 'state', 'closed')
return redis.call('SMEMBERS', KEYS[2])
"""


def batch_id(rule_id: str, index: int, staff: str, due: float) -> str:
    return f"{rule_id}|{index}|{staff}|{int(due // BATCH_SECONDS)}"


def batch_job(batch: str) -> str:
    return f"{JOB}|{batch}"


def close_at(batch: str) -> float:
    return (int(batch.rsplit("|", 1)[1]) + 1) * BATCH_SECONDS + CLOSE_AFTER


def parse_batch_job(job_id: str) -> tuple[str, str, int, str] | None:
    """(batch id, rule id, step index, member) of a batch job id."""
    parts = job_id.split("|")
    if len(parts) != 5 or parts[0] != JOB or not parts[2].isdigit() or not parts[4].isdigit():
        return None
    return "|".join(parts[1:]), parts[1], int(parts[2]), parts[3]


class SopBatches:
    """Batches of SOP mass steps: the one writer of `sop:batch*`."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._join = redis.register_script(_JOIN)
        self._close = redis.register_script(_CLOSE)

    def _pair(self, batch: str) -> list[str]:
        return [self._keys.sop_batch(batch), self._keys.sop_batch_members(batch)]

    async def join(self, batch: str, target: str, task_id: str) -> bool:
        """Put a step in its batch; False when the batch was already made without it."""
        entry = f"{target}|{task_id}"
        return bool(await self._join(keys=self._pair(batch), args=[entry, KEEP_SECONDS]))

    async def close(self, batch: str) -> list[tuple[str, str]]:
        """Close the batch; its (target, task id) entries, in a stable order."""
        entries = await self._close(keys=self._pair(batch))
        pairs = [tuple(str(e).split("|", 1)) for e in entries]
        return sorted((p[0], p[1]) for p in pairs if len(p) == 2)

    async def claim(self, batch: str, chunk: int) -> bool:
        """Take the chunk's WeCom task to make: True once, for the one caller that does."""
        return bool(await self._redis.hsetnx(self._keys.sop_batch(batch), f"c{chunk}", "creating"))

    async def unclaim(self, batch: str, chunk: int) -> None:
        """WeCom refused the chunk's task: it may be tried again."""
        await self._redis.hdel(self._keys.sop_batch(batch), f"c{chunk}")

    async def made(self, batch: str, chunk: int, msgid: str) -> None:
        await self._redis.hset(self._keys.sop_batch(batch), f"c{chunk}", msgid or "failed")
