"""SOP rules in Redis; saving one reschedules its steps that have not gone out yet."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.scheduler import Scheduler
from bot.sop import jobs
from bot.sop.rules import SopError, SopRule, new_rule_id, next_occurrence, step_due, validate
from bot.text.guard import TextGuard


class SopStore:
    """The SOP rules of one corp, and their place in the scheduler."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self.scheduler = Scheduler(redis, keys)

    async def get(self, rule_id: str) -> SopRule | None:
        raw = await self._redis.hget(self._keys.sop_rules, rule_id)
        return SopRule.from_json(raw) if raw else None

    async def all(self) -> list[SopRule]:
        rows = await self._redis.hgetall(self._keys.sop_rules)
        return sorted((SopRule.from_json(v) for v in rows.values()), key=lambda r: r.id)

    async def save(
        self, rule: SopRule, by: str, guard: TextGuard | None, now: float | None = None
    ) -> SopRule:
        """Validate and store; steps not yet sent move to the new times (or go, if their step
        was removed), and a calendar rule's next occurrence is scheduled."""
        validate(rule, guard)
        at = time.time() if now is None else now
        rule.id = rule.id or new_rule_id()
        old = await self.get(rule.id)
        rule.version = (old.version if old else 0) + 1
        rule.updated_at, rule.updated_by = int(at), by
        await self._redis.hset(self._keys.sop_rules, rule.id, rule.to_json())
        await self._reschedule(rule, at)
        return rule

    async def set_enabled(self, rule_id: str, enabled: bool, by: str) -> SopRule:
        """Pause or resume: a paused rule's steps that fall due meanwhile are skipped."""
        rule = await self.get(rule_id)
        if rule is None:
            raise SopError(f"没有 SOP {rule_id}")
        rule.enabled = enabled
        rule.updated_at, rule.updated_by = int(time.time()), by
        await self._redis.hset(self._keys.sop_rules, rule.id, rule.to_json())
        if enabled:
            await self._reschedule(rule, time.time())
        return rule

    async def delete(self, rule_id: str) -> None:
        if not await self._redis.hdel(self._keys.sop_rules, rule_id):
            raise SopError(f"没有 SOP {rule_id}")
        ids = [job_id async for job_id, _ in self.scheduler.scheduled(jobs.rule_pattern(rule_id))]
        ids += [job_id async for job_id, _ in self.scheduler.scheduled(jobs.fire_pattern(rule_id))]
        await self.scheduler.cancel(ids)

    async def _reschedule(self, rule: SopRule, now: float) -> None:
        moved: dict[str, float] = {}
        gone: list[str] = []
        async for job_id, _ in self.scheduler.scheduled(jobs.rule_pattern(rule.id)):
            step = jobs.parse_step(job_id)
            if step is None or step.index >= len(rule.steps):
                gone.append(job_id)
                continue
            moved[job_id] = step_due(rule, rule.steps[step.index], step.trigger_at, job_id)
        await self.scheduler.cancel(gone)
        await self.scheduler.move(moved)
        if rule.trigger == "schedule" and rule.schedule is not None:
            stale = [j async for j, _ in self.scheduler.scheduled(jobs.fire_pattern(rule.id))]
            await self.scheduler.cancel(stale)
            occurrence = next_occurrence(rule.schedule, now)
            if occurrence is not None:
                await self.scheduler.add({jobs.fire_id(rule.id, occurrence): occurrence})
