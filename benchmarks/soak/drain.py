"""After the traffic: wait (bounded) for the bot's backlogs to empty, then read from Redis what
the reconciliation needs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.keys import RedisKeys

RUNNING_GRACE_SECONDS = 5.0  # for claimed jobs to finish once everything else is done


@dataclass
class Backlog:
    """What the bot still has to do: stream entries, retries, due and claimed jobs. Claimed
    jobs don't count as undrained: one whose claim outlived a Redis restart waits for its lease
    (the job layer's design), and the reconciliation names it."""

    events: int = 0
    retries: int = 0
    jobs_due: int = 0
    jobs_running: int = 0

    @property
    def empty(self) -> bool:
        return not (self.events or self.retries or self.jobs_due)


@dataclass
class RedisFacts:
    """The bot's own record, read from Redis once drained."""

    backlog: Backlog
    chat_msgids: set[str] = field(default_factory=set)
    dead_letters: list[dict[str, str]] = field(default_factory=list)
    jobs_failed: list[dict[str, str]] = field(default_factory=list)
    admin_marks: dict[str, str] = field(default_factory=dict)  # msg id → the handler's mark
    jobs_scheduled: dict[str, float] = field(default_factory=dict)  # job id → when due
    jobs_held: dict[str, float] = field(default_factory=dict)  # claimed job id → lease end


async def backlog(redis: Redis, keys: RedisKeys, now: float) -> Backlog:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.xlen(keys.events)
        pipe.zcard(keys.retry_schedule)
        pipe.zcount(keys.jobs_due, "-inf", now)
        pipe.zcard(keys.jobs_inflight)
        events, retries, due, running = await pipe.execute()
    return Backlog(int(events), int(retries), int(due), int(running))


async def drain(
    redis: Redis, keys: RedisKeys, settled: Callable[[], bool], limit: float
) -> Backlog:
    """Wait until `settled()` (every welcome sent or past its window) and the backlogs are
    empty, at most `limit` seconds; returns the backlog at the end (empty when drained)."""
    deadline = time.time() + limit
    done_at: float | None = None
    while True:
        now = time.time()
        try:
            left = await backlog(redis, keys, now)
        except (RedisError, OSError):  # a restart at the very end: ask again
            left = Backlog(events=-1)
        if left.empty and settled():
            done_at = done_at or now
            if not left.jobs_running or now >= done_at + RUNNING_GRACE_SECONDS:
                return left
        else:
            done_at = None
        if now >= deadline:
            return left
        await asyncio.sleep(0.5)


async def read_facts(redis: Redis, keys: RedisKeys, admin_msgids: list[str]) -> RedisFacts:
    facts = RedisFacts(await backlog(redis, keys, time.time()))
    async for _, fields in _stream(redis, keys.chat_history):
        facts.chat_msgids.add(fields.get("msgid", ""))
    facts.dead_letters = [f async for _, f in _stream(redis, keys.dead_letters)]
    facts.jobs_failed = [f async for _, f in _stream(redis, keys.jobs_failed)]
    facts.jobs_scheduled = dict(await redis.zrange(keys.jobs_due, 0, -1, withscores=True))
    facts.jobs_held = dict(await redis.zrange(keys.jobs_inflight, 0, -1, withscores=True))
    if admin_msgids:
        marks = await redis.mget([keys.admin_seen(m) for m in admin_msgids])
        pairs = zip(admin_msgids, marks, strict=True)
        facts.admin_marks = {msgid: str(mark) for msgid, mark in pairs if mark is not None}
    return facts


async def _stream(redis: Redis, key: str) -> AsyncIterator[tuple[str, dict[str, str]]]:
    start = "-"
    while True:
        rows = await redis.xrange(key, min=start, count=1000)
        for entry_id, fields in rows:
            yield entry_id, {str(k): str(v) for k, v in fields.items()}
        if len(rows) < 1000:
            return
        start = "(" + rows[-1][0]
