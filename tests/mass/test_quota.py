"""The mass-message quota counted before tasks are made (month, week or day policies, shared by
concurrent reservations, places given back, who got one today or this week skipped)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.mass.quota import MassQuota, period


def _quota(settings: Settings, redis: Redis, policy: str) -> MassQuota:
    return MassQuota(redis, RedisKeys(settings.corp_id, settings.key_prefix), policy)


def test_periods() -> None:
    assert period("month", date(2026, 2, 10)) == period("month", date(2026, 2, 28))
    assert period("month", date(2026, 2, 10)).limit == 28
    assert period("month", date(2026, 12, 5)).limit == 31
    assert period("week", date(2026, 12, 5)).key == "w2026-49"
    assert period("week", date(2026, 12, 7)).key == "w2026-50"  # Monday: a new week
    assert (period("day", date(2026, 12, 5)).key, period("day", date(2026, 12, 5)).limit) == (
        "d2026-12-05",
        1,
    )
    with pytest.raises(ValueError):
        period("year", date(2026, 12, 5))


async def test_a_day_policy_lets_one_message_through(settings: Settings, redis: Redis) -> None:
    quota = _quota(settings, redis, "day")
    day = date(2026, 12, 5)
    assert await quota.reserve(["wm1", "wm2", "wm1"], day) == (["wm1", "wm2"], [], [])
    assert await quota.reserve(["wm1", "wm3"], day) == (["wm3"], ["wm1"], [])  # wm1 at quota
    assert await quota.reserve(["wm1"], date(2026, 12, 6)) == (["wm1"], [], [])  # the next day
    await quota.release(["wm1", "wmNever"], day)  # WeCom refused the task: the place comes back
    assert await quota.used("wm1", day) == 0 and await quota.used("wmNever", day) == 0
    assert await quota.reserve(["wm1"], day) == (["wm1"], [], [])


async def test_skipping_who_got_one_today_or_this_week(settings: Settings, redis: Redis) -> None:
    quota = _quota(settings, redis, "month")
    monday, wednesday = date(2026, 12, 7), date(2026, 12, 9)
    assert await quota.reserve(["wm1"], monday) == (["wm1"], [], [])
    assert await quota.reserve(["wm1", "wm2"], wednesday, "day") == (["wm1", "wm2"], [], [])
    assert await quota.reserve(["wm1", "wm3"], wednesday, "day") == (["wm3"], [], ["wm1"])
    assert await quota.standing(["wm1", "wm4"], date(2026, 12, 13), "week") == ([], ["wm1"])
    # the next Monday is a new week
    assert await quota.reserve(["wm1"], date(2026, 12, 14), "week") == (["wm1"], [], [])
    assert await quota.used("wm1", wednesday) == 3  # the month's count: Mon, Wed, next Mon


async def test_concurrent_tasks_share_the_quota(settings: Settings, redis: Redis) -> None:
    quota = _quota(settings, redis, "week")  # 7 a week
    day = date(2026, 12, 5)
    results = await asyncio.gather(*(quota.reserve(["wmBusy"], day) for _ in range(12)))
    assert sum(len(kept) for kept, _, _ in results) == 7
    assert sum(len(over) for _, over, _ in results) == 5
    assert await quota.used("wmBusy", day) == 7
