"""Retention after 1/7/30 days: the cohort of one day's adds, losses counted against it as the
sandbox clock moves on, each figure reported only once its day is over."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import CORP_TIME, corp_date
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.stats import StatsRecorder, read_stats
from tests.stats.conftest import drained

DAY = 86_400


@pytest.fixture
def sandbox_settings(sandbox_settings: Settings) -> Settings:
    # the sandbox clock runs days ahead here; the bot must accept callbacks signed by it
    return replace(sandbox_settings, dedup_window_seconds=40 * DAY)


def to_next_noon(sandbox: Sandbox) -> None:
    """Move the sandbox clock to the next noon in China, so a test's day can't turn over."""
    now = datetime.fromtimestamp(sandbox.now(), CORP_TIME)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon <= now:
        noon += timedelta(days=1)
    sandbox.advance((noon - now).total_seconds())


async def test_retention_of_a_days_cohort(
    sandbox_bot: TestServer, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    to_next_noon(live_sandbox)
    added_on = corp_date(int(live_sandbox.now()))
    for customer in ("wm1", "wm2", "wm3", "wm4"):
        await live_sandbox.customer_adds_staff("zhangsan", customer, state="ch:spring")
    await live_sandbox.customer_adds_staff("lisi", "wm5")
    await drained(redis, keys)

    live_sandbox.advance(3 * DAY)
    await live_sandbox.customer_deletes_staff("zhangsan", "wm2")
    await drained(redis, keys)

    async def cohort(today_offset: int, by: str | None = None) -> dict[str, list[float | None]]:
        today = added_on + timedelta(days=today_offset)
        rows = await read_stats(redis, keys, today_offset + 1, by, today)
        return {
            row.who: [row.retention(k) for k in (1, 7, 30)] for row in rows if row.day == added_on
        }

    assert await cohort(1) == {"": [None, None, None]}  # day D+1 isn't over yet
    assert await cohort(2) == {"": [1.0, None, None]}
    assert await cohort(3) == {"": [1.0, None, None]}
    [loss_day] = await read_stats(redis, keys, 1, today=added_on + timedelta(days=3))
    assert (loss_day.lost_by_customer, loss_day.new) == (1, 0)

    live_sandbox.advance(5 * DAY)  # day D+8: the week is over
    assert await cohort(7) == {"": [1.0, None, None]}
    assert await cohort(8) == {"": [1.0, 4 / 5, None]}
    assert await cohort(8, "staff") == {"zhangsan": [1.0, 3 / 4, None], "lisi": [1.0, 1.0, None]}
    assert await cohort(8, "channel") == {"spring": [1.0, 3 / 4, None]}
    assert await cohort(31) == {"": [1.0, 4 / 5, 4 / 5]}


async def test_a_loss_handled_before_its_add_still_counts_against_the_cohort(
    redis: Redis, keys: RedisKeys
) -> None:
    recorder = StatsRecorder(redis, keys)
    added_at = 1_717_214_400  # 2024-06-01 12:00 in Shanghai
    lost_at = added_at + 2 * DAY
    # the add failed once and is retried after the loss was already counted
    assert await recorder.lost("2-0", "zhangsan", "wmLate", "customer", lost_at)
    assert await recorder.added("1-0", "zhangsan", "wmLate", "spring", added_at)
    assert not await redis.hexists(keys.stats_relations, "zhangsan|wmLate")
    assert not await redis.exists(keys.stats_ended("zhangsan|wmLate"))
    today = corp_date(added_at) + timedelta(days=10)
    [spring_loss] = await read_stats(redis, keys, 1, "channel", corp_date(lost_at))
    assert (spring_loss.who, spring_loss.lost_by_customer) == ("spring", 1)
    rows = await read_stats(redis, keys, 11, today=today)
    assert rows[0].day == corp_date(added_at)
    assert [rows[0].retention(k) for k in (1, 7)] == [1.0, 0.0]

    # a loss older than the relation it finds belongs to an earlier one: the new one stays
    assert await recorder.added("3-0", "lisi", "wmBack", "", lost_at)
    assert await recorder.lost("4-0", "lisi", "wmBack", "staff", added_at)
    assert await redis.hget(keys.stats_relations, "lisi|wmBack") == f"{lost_at}|"
