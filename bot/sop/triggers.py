"""Starting customer SOPs: a trigger fires for one (staff member, customer) relation, and the
first step of every matching rule is scheduled; ending them when the relation ends."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from bot.context import HandlerContext
from bot.directory import StaffDirectory
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.scheduler import Scheduler
from bot.sop import jobs
from bot.sop.rules import SopRule, step_due
from bot.sop.store import SopStore
from bot.wecom.api.user import UserAPI


class SopTriggers:
    """Schedules and cancels the steps of customer SOPs."""

    def __init__(self, redis: Redis, keys: RedisKeys, directory: StaffDirectory) -> None:
        self._redis = redis
        self._keys = keys
        self._store = SopStore(redis, keys)
        self._directory = directory
        self.scheduler = Scheduler(redis, keys)

    @classmethod
    def of(cls, ctx: HandlerContext) -> SopTriggers:
        """The triggers as a handler uses them, with the staff directory for departments."""
        return cls(ctx.redis, ctx.keys, ctx.services.directory)

    async def fire(
        self, trigger: str, staff: str, external_userid: str, at: float, *, value: str = ""
    ) -> int:
        """`trigger` (added / tag / segment) happened at `at`; `value` is the channel id, the
        tag ("group/name") or the segment. Returns how many SOPs started."""
        started: dict[str, float] = {}
        for rule in await self._store.all():
            if rule.kind != "customer" or rule.trigger != trigger or not rule.enabled:
                continue
            if not await self._matches(rule, staff, value):
                continue
            job_id = jobs.step_id(rule.id, 0, staff, external_userid, at)
            started[job_id] = step_due(rule, rule.steps[0], at, job_id)
        await self.scheduler.add(started)
        return len(started)

    async def _matches(self, rule: SopRule, staff: str, value: str) -> bool:
        if rule.trigger == "added" and rule.channels and value not in rule.channels:
            return False
        if rule.trigger == "tag" and value != rule.tag:
            return False
        if rule.trigger == "segment" and value != rule.segment:
            return False
        if rule.staff and staff not in rule.staff:
            return False
        if rule.departments:
            departments = await self._directory.departments(staff)
            return not set(departments).isdisjoint(rule.departments)
        return True

    async def relation_ended(self, staff: str, external_userid: str) -> int:
        """Drop the steps still scheduled for this relation by "after added" rules; steps of
        other triggers are dropped when they fall due (the relation is checked then)."""
        profile = await ProfileStore(self._redis, self._keys).get(external_userid)
        follow = profile.follows.get(staff)
        if follow is None or not follow.added_at:
            return 0
        candidates = [
            jobs.step_id(rule.id, index, staff, external_userid, follow.added_at)
            for rule in await self._store.all()
            if rule.trigger == "added"
            for index in range(len(rule.steps))
        ]
        return await self.scheduler.cancel(candidates)


SegmentHook = Callable[[str, str, str], Awaitable[None]]


def segment_entered(redis: Redis, keys: RedisKeys, users: UserAPI) -> SegmentHook:
    """What the RFM run calls when a follower's customer enters a segment: the SOPs waiting
    for that segment start for them (wired by `bot.rfm.corp_run` for every run)."""
    triggers = SopTriggers(redis, keys, StaffDirectory(redis, keys, users))

    async def entered(staff: str, external_userid: str, segment: str) -> None:
        await triggers.fire("segment", staff, external_userid, time.time(), value=segment)

    return entered
