"""SOP rules in Redis; saving one reschedules its steps that have not gone out yet."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.scheduler import Scheduler
from bot.sop import jobs
from bot.sop.rules import SopError, SopRule, new_rule_id, next_occurrence, step_due, validate
from bot.text.guard import TextGuard

WAITING_SCAN = 100_000  # scheduled jobs a progress read walks at most


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
        await self.scheduler.cancel(await self.jobs_of(rule_id))

    async def jobs_of(self, rule_id: str) -> list[str]:
        """The rule's scheduled jobs: its steps and its next calendar occurrence."""
        ids = [job_id async for job_id, _ in self.scheduler.scheduled(jobs.rule_pattern(rule_id))]
        ids += [job_id async for job_id, _ in self.scheduler.scheduled(jobs.fire_pattern(rule_id))]
        return ids

    async def waiting(self, most: int = WAITING_SCAN) -> tuple[dict[str, int], bool]:
        """Rule id -> its steps and occurrences still scheduled, in one pass over the schedule
        that stops after `most` jobs (a page must not walk a million reminders per rule); and
        whether it stopped early (the counts are then a lower bound)."""
        counts: dict[str, int] = {}
        seen = 0
        async for job_id, _ in self.scheduler.scheduled("sop*"):
            kind, _, rest = job_id.partition("|")
            if kind in (jobs.STEP, jobs.FIRE):
                rule_id = rest.partition("|")[0]
                counts[rule_id] = counts.get(rule_id, 0) + 1
            seen += 1
            if seen >= most:
                return counts, True
        return counts, False

    async def _reschedule(self, rule: SopRule, now: float) -> None:
        moves = await self.reschedule_plan(rule, now)
        async with self._redis.pipeline(transaction=True) as tx:
            await self.queue_reschedule(tx, moves)
            await tx.execute()

    async def reschedule_plan(self, rule: SopRule, now: float) -> Reschedule:
        """What saving `rule` does to the scheduler (reads only; `queue_reschedule` writes)."""
        moves = Reschedule()
        async for job_id, _ in self.scheduler.scheduled(jobs.rule_pattern(rule.id)):
            step = jobs.parse_step(job_id)
            if step is None or step.index >= len(rule.steps):
                moves.gone.append(job_id)
                continue
            moves.moved[job_id] = step_due(rule, rule.steps[step.index], step.trigger_at, job_id)
        if rule.trigger == "schedule" and rule.schedule is not None:
            moves.gone += [j async for j, _ in self.scheduler.scheduled(jobs.fire_pattern(rule.id))]
            occurrence = next_occurrence(rule.schedule, now)
            if occurrence is not None:
                moves.added[jobs.fire_id(rule.id, occurrence)] = occurrence
        return moves

    async def queue_import(
        self,
        tx: Any,
        saved: list[tuple[SopRule, SopRule | None]],
        removed: list[str],
        moves: dict[str, Reschedule | list[str]],
        by: str,
        now: float,
    ) -> None:
        """Queue a configuration import's writes: each saved rule (with the stored version it
        replaces) and its scheduler moves, each removed rule and its jobs (`moves`: read
        before the transaction with `reschedule_plan` / `jobs_of`)."""
        for rule, before in saved:
            rule.version = (before.version if before else 0) + 1
            rule.updated_at, rule.updated_by = int(now), by
            tx.hset(self._keys.sop_rules, rule.id, rule.to_json())
            move = moves[rule.id]
            assert isinstance(move, Reschedule)
            await self.queue_reschedule(tx, move)
        for rule_id in removed:
            tx.hdel(self._keys.sop_rules, rule_id)
            gone = moves[rule_id]
            assert isinstance(gone, list)
            self.scheduler.queue_cancel(tx, gone)

    async def queue_reschedule(self, tx: Any, moves: Reschedule) -> None:
        """Queue `moves` on a transaction: drop the gone jobs, move the others, add the next
        occurrence (a job running meanwhile is left alone and checks the rule itself)."""
        self.scheduler.queue_cancel(tx, moves.gone)
        self.scheduler.queue_move(tx, moves.moved)
        await self.scheduler.queue_add(tx, moves.added)


@dataclass
class Reschedule:
    """The scheduler's side of saving a rule: steps moved or dropped, an occurrence added."""

    moved: dict[str, float] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    added: dict[str, float] = field(default_factory=dict)
