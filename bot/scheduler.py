"""Due jobs in a Redis sorted set, claimed atomically, so N processes run each job once.

A job is only an id and a due time: the id says what to do (`sop|<rule>|<step>|…`,
`alert|…`) and is idempotent — scheduling the same id twice keeps one entry. Every process
polls: `claim` moves due ids to an in-flight set with a lease in one Lua call, so two processes
never take the same job; `done` drops it, `retry` and `defer` put it back with a new time. A
process that dies holding a claim loses it when the lease lapses (`reclaim`), and the job is
due again: nothing is lost across crashes or restarts, as everything lives in Redis.

Times are passed in (`now`), never read here, so tests and benchmarks drive the clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.storage.topology import queue_script

LEASE_SECONDS = 120.0
FAILED_MAXLEN = 100_000

# KEYS[1] due, KEYS[2] in flight; ARGV pairs of (id, due). A job already due or in flight keeps
# its place (ZADD NX); returns how many were added.
_ADD = """
local added = 0
for i = 1, #ARGV, 2 do
  if not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    added = added + redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 1], ARGV[i])
  end
end
return added
"""

# KEYS[1] due, KEYS[2] in flight, KEYS[3] attempts; ARGV[1] now, ARGV[2] limit, ARGV[3] lease
# deadline. Returns flat triples (id, due, attempts).
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local out = {}
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
  redis.call('ZADD', KEYS[2], ARGV[3], due[i])
  out[#out + 1] = due[i]
  out[#out + 1] = due[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[3], due[i]) or '0'
end
return out
"""

# KEYS[1] due, KEYS[2] in flight; ARGV[1] now. Lapsed claims become due now.
_RECLAIM = """
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(lapsed) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], ARGV[1], id)
end
return #lapsed
"""

# KEYS[1] due, KEYS[2] in flight, KEYS[3] attempts; ARGV[1] id, ARGV[2] when, ARGV[3] 1 to
# count an attempt. Only the claim holder's job is put back (it must still be in flight).
_PUT_BACK = """
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[3], ARGV[1], 1) end
return 1
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job this process holds: its id, when it was due and how often it failed before."""

    id: str
    due: float
    attempts: int


class Scheduler:
    """The due-job set of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys, lease_seconds: float = LEASE_SECONDS):
        self._redis = redis
        self._keys = keys
        self.lease_seconds = lease_seconds
        self._add = redis.register_script(_ADD)
        self._claim = redis.register_script(_CLAIM)
        self._reclaim = redis.register_script(_RECLAIM)
        self._put_back = redis.register_script(_PUT_BACK)

    async def add(self, jobs: Mapping[str, float]) -> int:
        """Schedule jobs (id -> due); an id already scheduled or running keeps its time."""
        if not jobs:
            return 0
        keys, args = self._add_arguments(jobs)
        return int(await self._add(keys=keys, args=args))

    async def queue_add(self, tx: Any, jobs: Mapping[str, float]) -> None:
        """`add`, queued on a transaction (one server: the script is loaded before it runs;
        a cluster: its source is queued, see `queue_script`)."""
        if jobs:
            await queue_script(tx, self._add, *self._add_arguments(jobs))

    def _add_arguments(self, jobs: Mapping[str, float]) -> tuple[list[str], list[str | float]]:
        args: list[str | float] = []
        for job_id, due in jobs.items():
            args += [job_id, due]
        return [self._keys.jobs_due, self._keys.jobs_inflight], args

    async def move(self, jobs: Mapping[str, float]) -> int:
        """Give scheduled (not running) jobs a new time; ids not scheduled are left out."""
        if not jobs:
            return 0
        return int(await self._redis.zadd(self._keys.jobs_due, dict(jobs), xx=True, ch=True))

    def queue_move(self, tx: Any, jobs: Mapping[str, float]) -> None:
        """`move`, queued on a transaction."""
        if jobs:
            tx.zadd(self._keys.jobs_due, dict(jobs), xx=True, ch=True)

    async def cancel(self, job_ids: list[str]) -> int:
        """Drop scheduled jobs (one already running finishes, and checks for itself)."""
        if not job_ids:
            return 0
        async with self._redis.pipeline(transaction=True) as tx:
            self.queue_cancel(tx, job_ids)
            removed, _ = await tx.execute()
        return int(removed)

    def queue_cancel(self, tx: Any, job_ids: list[str]) -> None:
        """`cancel`, queued on a transaction (two results: removed, attempts dropped)."""
        if job_ids:
            tx.zrem(self._keys.jobs_due, *job_ids)
            tx.hdel(self._keys.jobs_attempts, *job_ids)

    async def claim(self, now: float, limit: int = 500) -> list[Claimed]:
        """Take up to `limit` due jobs, oldest first, for `lease_seconds`."""
        flat = await self._claim(
            keys=[self._keys.jobs_due, self._keys.jobs_inflight, self._keys.jobs_attempts],
            args=[now, limit, now + self.lease_seconds],
        )
        return [
            Claimed(str(flat[i]), float(flat[i + 1]), int(flat[i + 2]))
            for i in range(0, len(flat), 3)
        ]

    async def reclaim(self, now: float) -> int:
        """Make jobs whose holder vanished (lease lapsed) due again; returns how many."""
        keys = [self._keys.jobs_due, self._keys.jobs_inflight]
        return int(await self._reclaim(keys=keys, args=[now]))

    async def done(self, job_id: str) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.zrem(self._keys.jobs_inflight, job_id)
            tx.hdel(self._keys.jobs_attempts, job_id)
            await tx.execute()

    async def retry(self, job_id: str, at: float) -> bool:
        """A failed attempt: counted, and due again at `at`."""
        return await self._back(job_id, at, count=True)

    async def defer(self, job_id: str, at: float) -> bool:
        """Not now (quiet hours, rate limit): due again at `at`, no attempt counted."""
        return await self._back(job_id, at, count=False)

    async def _back(self, job_id: str, at: float, *, count: bool) -> bool:
        keys = [self._keys.jobs_due, self._keys.jobs_inflight, self._keys.jobs_attempts]
        return bool(await self._put_back(keys=keys, args=[job_id, at, "1" if count else "0"]))

    async def scheduled(self, match: str) -> AsyncIterator[tuple[str, float]]:
        """Scheduled (not running) jobs whose id matches the glob `match`."""
        async for job_id, due in self._redis.zscan_iter(self._keys.jobs_due, match=match):
            yield str(job_id), float(due)

    async def counts(self) -> dict[str, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self._keys.jobs_due)
            pipe.zcard(self._keys.jobs_inflight)
            pipe.xlen(self._keys.jobs_failed)
            due, inflight, failed = await pipe.execute()
        return {"scheduled": int(due), "running": int(inflight), "failed": int(failed)}

    async def record_failure(self, job_id: str, reason: str, attempts: int, at: float) -> None:
        """Keep a job given up on, with why, for the admins' report and `scrm-bot sop failed`."""
        await self._redis.xadd(
            self._keys.jobs_failed,
            {"job": job_id, "reason": reason, "attempts": attempts, "at": int(at)},
            maxlen=FAILED_MAXLEN,
            approximate=True,
        )

    async def failures(self, count: int = 50) -> list[dict[str, str]]:
        rows = await self._redis.xrevrange(self._keys.jobs_failed, count=count)
        return [dict(fields) for _, fields in rows]
