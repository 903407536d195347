"""Shared by the statistics tests: the corp's keys, a wait for the pipeline to drain, a day of
figures to read back, and the sidebar's fixtures (the admin page rides on its sign-in)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.stats import StatsRecorder, record_sop
from tests.pipeline_support import wait_until
from tests.sidebar.conftest import browser, sidebar_bot, sidebar_settings

__all__ = ["browser", "drained", "keys", "seed_day", "sidebar_bot", "sidebar_settings"]


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


async def drained(redis: Redis, keys: RedisKeys) -> None:
    """Wait until the pipeline handled every event (it deletes each once its handlers ran)."""

    async def empty() -> bool:
        return await redis.xlen(keys.events) == 0

    await wait_until(empty)


async def seed_day(redis: Redis, keys: RedisKeys, at: int, *, channel: str = "spring") -> None:
    """Three adds (two by zhangsan, one through `channel`), one loss by staff (lisi), three
    group joins and one leave, two SOP reminders sent and one completed by zhangsan."""
    recorder = StatsRecorder(redis, keys)
    await recorder.added("s1", "zhangsan", "wmA", channel, at)
    await recorder.added("s2", "zhangsan", "wmB", "", at)
    await recorder.added("s3", "lisi", "wmC", "", at)
    await recorder.lost("s4", "lisi", "wmC", "staff", at)
    await recorder.group_changed("s5", True, 3, at)
    await recorder.group_changed("s6", False, 1, at)
    await record_sop(redis, keys, "sent", "zhangsan", at)
    await record_sop(redis, keys, "sent", "zhangsan", at)
    await record_sop(redis, keys, "completed", "zhangsan", at)
