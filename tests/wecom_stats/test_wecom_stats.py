"""WeCom's own statistics: the sandbox's endpoints keep WeCom's limits (30 days a call, the last
180 days) and count the relations it saw made; the bot pulls them per member and day and keeps
them; the reconciliation flags the day where WeCom counted more new customers than we did (a
missed callback) and names the member, and leaves an agreeing day alone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import CORP_TIME
from bot.context import HandlerContext
from bot.sandbox import Sandbox
from bot.wecom import WeComClient, WeComError
from bot.wecom_stats.pull import WeComStatsStore, pull
from bot.wecom_stats.reconcile import reconcile
from tests.pipeline_support import wait_until


async def test_limits(sandbox_wecom: WeComClient, live_sandbox: Sandbox) -> None:
    now = int(live_sandbox.now())
    with pytest.raises(WeComError):
        await sandbox_wecom.statistics.behavior("zhangsan", now - 40 * 86400, now)
    with pytest.raises(WeComError):
        await sandbox_wecom.statistics.behavior("zhangsan", now - 200 * 86400, now - 190 * 86400)
    rows = await sandbox_wecom.statistics.behavior("zhangsan", now - 2 * 86400, now)
    assert len(rows) == 3 and all(r["new_contact_cnt"] == 0 for r in rows)


async def test_a_missed_callback_shows_as_a_flagged_day(
    sandbox_bot: TestServer, live_sandbox: Sandbox, redis: Redis
) -> None:
    ctx: HandlerContext = sandbox_bot.app[HANDLER_CONTEXT]
    for n in range(3):
        await live_sandbox.customer_adds_staff("zhangsan", f"wmS{n}")
    today = datetime.fromtimestamp(live_sandbox.now(), CORP_TIME).date()

    async def counted() -> bool:
        checks = await reconcile(ctx, today, 1)
        return not checks or checks[0].ours == 3

    await pull(ctx, today - timedelta(days=1), today)
    await wait_until(counted)
    [day] = await reconcile(ctx, today, 1)
    assert (day.ours, day.wecom, day.flagged) == (3, 3, False)

    # WeCom saw 4 more adds of lisi's today that never reached us
    midnight = int(datetime.combine(today, time(), CORP_TIME).timestamp())
    live_sandbox.behavior_extra[("lisi", midnight)] = {"new_contact_cnt": 4, "chat_cnt": 2}
    assert await pull(ctx, today, today) >= 2
    stored = await WeComStatsStore(redis, ctx.keys).day(today)
    assert stored["lisi"]["new_contact_cnt"] == 4 and "groups" in stored
    [day] = await reconcile(ctx, today, 1)
    assert (day.ours, day.wecom, day.gap, day.flagged) == (3, 7, 4, True)
    assert day.members == {"lisi": (0, 4)}
    assert day.wecom_figures["chat_cnt"] == 2
