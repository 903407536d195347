"""The mass-message quota counted before tasks are made (month, week or day policies, shared by
concurrent reservations, places given back), and audiences cut into WeCom-sized tasks with one
sending member per customer."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.mass.quota import MassQuota, period
from bot.mass.split import MAX_CUSTOMERS, owners, tasks


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
    assert await quota.reserve(["wm1", "wm2", "wm1"], day) == (["wm1", "wm2"], [])
    assert await quota.reserve(["wm1", "wm3"], day) == (["wm3"], ["wm1"])  # wm1 is at quota
    assert await quota.reserve(["wm1"], date(2026, 12, 6)) == (["wm1"], [])  # the next day
    await quota.release(["wm1", "wmNever"], day)  # WeCom refused the task: the place comes back
    assert await quota.used("wm1", day) == 0 and await quota.used("wmNever", day) == 0
    assert await quota.reserve(["wm1"], day) == (["wm1"], [])


async def test_concurrent_tasks_share_the_quota(settings: Settings, redis: Redis) -> None:
    quota = _quota(settings, redis, "week")  # 7 a week
    day = date(2026, 12, 5)
    results = await asyncio.gather(*(quota.reserve(["wmBusy"], day) for _ in range(12)))
    assert sum(len(kept) for kept, _ in results) == 7
    assert sum(len(over) for _, over in results) == 5
    assert await quota.used("wmBusy", day) == 7


def test_one_member_per_customer_and_tasks_within_wecom_s_limit() -> None:
    # 25,000 customers over 3 members; some followed by two: the latest add sends
    follows: dict[str, list[tuple[str, int]]] = {}
    for n in range(25_000):
        member = ("zhangsan", "lisi", "wangwu")[n % 3]
        follows[f"wm{n:05d}"] = [(member, 100)]
    follows["wm00000"].append(("lisi", 200))  # added lisi later: lisi sends to them
    follows["wm00003"].append(("wangwu", 100))  # a tie: the smaller userid
    by_member = owners(follows)
    assert sum(len(c) for c in by_member.values()) == 25_000
    assert "wm00000" in by_member["lisi"] and "wm00000" not in by_member["zhangsan"]
    assert "wm00003" in by_member["wangwu"]
    made = tasks(by_member)
    assert all(len(recipients) <= MAX_CUSTOMERS for _, recipients in made)
    assert sorted(r for _, chunk in made for r in chunk) == sorted(follows)
    assert [member for member, _ in made] == ["lisi", "wangwu", "zhangsan"]  # each ≤ 10,000
    group_tasks = tasks({"zhangsan": [f"wr{n}" for n in range(4_500)]}, "group")
    assert [len(chunk) for _, chunk in group_tasks] == [2_000, 2_000, 500]
