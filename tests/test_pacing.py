"""Bulk WeCom calls paced through Redis: never more slots in one second than allowed."""

from __future__ import annotations

import asyncio
from collections import Counter

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.wecom.pacing import CallPacer


async def test_two_pacers_share_one_budget(redis: Redis, settings: Settings) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    # two processes' pacers on one Redis: together they get 4 slots a second, not 8
    pacers = [CallPacer(redis, keys, "mark_tag", 4), CallPacer(redis, keys, "mark_tag", 4)]
    granted: list[int | None] = []

    async def call(pacer: CallPacer) -> None:
        granted.append(await pacer.slot())

    await asyncio.gather(*(call(pacers[i % 2]) for i in range(10)))
    per_second = Counter(granted)
    assert sum(per_second.values()) == 10  # everyone got through…
    assert max(per_second.values()) <= 4  # …and no second held more than the budget
    assert len(per_second) >= 3


async def test_a_caller_that_cannot_wait_is_told_so(redis: Redis, settings: Settings) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    pacer = CallPacer(redis, keys, "message/send", 1)
    first = await pacer.slot(max_wait=0)
    assert first is not None
    second = await pacer.slot(max_wait=0)  # this second's one slot is gone
    if second is not None:  # the clock ticked over between the two calls
        assert second == first + 1
    else:
        later = await pacer.slot(max_wait=1.1)
        assert later is not None and later > first
