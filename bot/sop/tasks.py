"""Reminders sent to staff, until the staff member sends the content and marks them done."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys

TASK_TTL = 60 * 86400  # a reminder nobody acted on is forgotten after two months


def task_id(job_id: str) -> str:
    return hashlib.sha256(job_id.encode()).hexdigest()[:20]


@dataclass
class SopTask:
    """One step delivered to one staff member, with the content as rendered for them."""

    id: str
    job: str
    rule_id: str
    rule_name: str
    step: int
    staff: str
    target: str  # external_userid, chat id, or * (a calendar SOP for all their customers)
    kind: str  # customer / group
    delivery: str  # reminder / mass
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    target_name: str = ""
    status: str = "sending"  # sending → sent → done, or sending → skipped (skip_reason says why)
    sent_at: int = 0
    done_at: int = 0
    mass_msgid: str = ""
    skip_reason: str = ""

    def to_mapping(self) -> dict[str, str]:
        data = asdict(self)
        data["attachments"] = json.dumps(self.attachments, ensure_ascii=False)
        return {k: str(v) for k, v in data.items()}

    @classmethod
    def from_mapping(cls, raw: dict[str, str]) -> SopTask:
        data: dict[str, Any] = dict(raw)
        data["attachments"] = json.loads(raw.get("attachments") or "[]")
        for name in ("step", "sent_at", "done_at"):
            data[name] = int(raw.get(name) or 0)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


# KEYS[1] task, KEYS[2] pending, KEYS[3] progress; ARGV[1] at, ARGV[2] mass msgid, ARGV[3]
# task id, ARGV[4] rule id. A send repeated after a crash counts once.
_SENT = """
local was = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'status', 'sent', 'sent_at', ARGV[1], 'mass_msgid', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
if was ~= 'sent' and was ~= 'done' then redis.call('HINCRBY', KEYS[3], ARGV[4] .. ':sent', 1) end
"""
# KEYS as above; ARGV[1] at, ARGV[2] task id, ARGV[3] rule id. Returns the status before.
_DONE = """
local was = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'status', 'done', 'done_at', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if was ~= 'done' then redis.call('HINCRBY', KEYS[3], ARGV[3] .. ':done', 1) end
return was
"""
# KEYS[1] task, KEYS[2] progress; ARGV[1] reason, ARGV[2] rule id. A task already sent stays so,
# and one forgotten (past its TTL) isn't written back as a bare hash.
_SKIPPED = """
local was = redis.call('HGET', KEYS[1], 'status')
if not was or was == 'sent' or was == 'done' or was == 'skipped' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'skipped', 'skip_reason', ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2] .. ':skipped', 1)
return 1
"""
PROGRESS = ("sent", "done", "skipped")


class TaskStore:
    """Tasks by id, and each staff member's open ones."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._sent = redis.register_script(_SENT)
        self._done = redis.register_script(_DONE)
        self._skipped = redis.register_script(_SKIPPED)

    async def get(self, tid: str) -> SopTask | None:
        raw = await self._redis.hgetall(self._keys.sop_task(tid))
        return SopTask.from_mapping(raw) if raw else None

    async def begin(self, task: SopTask) -> None:
        """Written before the send: a crash mid-send is then seen, and the send repeated."""
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(self._keys.sop_task(task.id), mapping=task.to_mapping())
            tx.expire(self._keys.sop_task(task.id), TASK_TTL)
            await tx.execute()

    async def sent(self, task: SopTask, at: int, mass_msgid: str = "") -> None:
        keys = [self._keys.sop_task(task.id), self._keys.sop_pending(task.staff)]
        await self._sent(
            keys=[*keys, self._keys.sop_progress], args=[at, mass_msgid, task.id, task.rule_id]
        )

    async def sent_id(self, tid: str, staff: str, rule_id: str, at: int, mass_msgid: str) -> None:
        """`sent` for a task known by its id (a batch of mass steps marks its members)."""
        keys = [self._keys.sop_task(tid), self._keys.sop_pending(staff), self._keys.sop_progress]
        await self._sent(keys=keys, args=[at, mass_msgid, tid, rule_id])

    async def skipped_id(self, tid: str, rule_id: str, reason: str) -> None:
        """The step won't go out (e.g. the customer's mass-message quota is used up): counted as
        skipped, once, with the reason; not left "sending" for good."""
        keys = [self._keys.sop_task(tid), self._keys.sop_progress]
        await self._skipped(keys=keys, args=[reason, rule_id])

    async def pending(self, staff: str, target: str | None = None) -> list[SopTask]:
        """The member's open tasks, oldest first (only those about `target`, if given)."""
        ids = [str(t) for t in await self._redis.zrange(self._keys.sop_pending(staff), 0, 199)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for tid in ids:
                pipe.hgetall(self._keys.sop_task(tid))
            rows = await pipe.execute() if ids else []
        expired = [tid for tid, raw in zip(ids, rows, strict=True) if not raw]
        if expired:  # forgotten after TASK_TTL: drop them from the list too
            await self._redis.zrem(self._keys.sop_pending(staff), *expired)
        tasks = [SopTask.from_mapping(raw) for raw in rows if raw]
        return [t for t in tasks if target is None or t.target in (target, "*")]

    async def reassign(self, task: SopTask, staff: str) -> None:
        """The task is now `staff`'s (their customer was handed to them), still open."""
        sent_at = await self._redis.zscore(self._keys.sop_pending(task.staff), task.id)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(self._keys.sop_task(task.id), "staff", staff)
            tx.zrem(self._keys.sop_pending(task.staff), task.id)
            if sent_at is not None:
                tx.zadd(self._keys.sop_pending(staff), {task.id: sent_at})
            await tx.execute()

    async def complete(self, task: SopTask, at: int) -> bool:
        """Mark done; False when it already was."""
        keys = [self._keys.sop_task(task.id), self._keys.sop_pending(task.staff)]
        before = await self._done(
            keys=[*keys, self._keys.sop_progress], args=[at, task.id, task.rule_id]
        )
        return bool(before != "done")

    async def progress(self) -> dict[str, tuple[int, int, int]]:
        """Rule id -> (reminders sent, done, skipped)."""
        raw = await self._redis.hgetall(self._keys.sop_progress)
        counts: dict[str, list[int]] = {}
        for name, value in raw.items():
            rule, _, what = str(name).rpartition(":")
            if what in PROGRESS:
                counts.setdefault(rule, [0, 0, 0])[PROGRESS.index(what)] += int(value)
        return {rule: (sent, done, skipped) for rule, (sent, done, skipped) in counts.items()}
