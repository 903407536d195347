"""Reminders, alerts and failure reports name members, customers and groups by their display
names (ids in brackets where admins read them), never by bare ids."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.churn import alert_id
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.sop.jobs import step_id
from bot.sop.rules import Schedule, SopRule, SopStep
from bot.sop.runner import describe, job_runner
from bot.sop.store import SopStore
from tests.pipeline_support import wait_until
from tests.sop.test_sop_e2e import cards, day_at


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
def ctx(sandbox_bot: TestServer) -> HandlerContext:
    return sandbox_bot.app[HANDLER_CONTEXT]


async def test_a_group_reminder_names_the_group(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    await live_sandbox.group_created("lisi", "wrNamed7", ["wmA"], name="福利群1")
    now = live_sandbox.now()
    schedule = Schedule(time="09:30")
    rule = SopRule("", "早安问候", [SopStep(text="早上好")], kind="group", trigger="schedule")
    rule.schedule, rule.groups = schedule, ["wrNamed7"]
    await SopStore(redis, keys).save(rule, "admin1", None, now=now)
    runner = job_runner(ctx)
    live_sandbox.advance(day_at(now, 1, "09:30") - live_sandbox.now())
    await runner.run_due(live_sandbox.now())  # the occurrence becomes the owner's step
    live_sandbox.advance(10 * 60)
    await runner.run_due(live_sandbox.now())
    [card] = cards(live_sandbox, "lisi")
    assert "客户群：福利群1" in card["description"] and "wrNamed7" not in card["description"]


async def test_admins_hear_of_a_deleted_customer_with_the_members_name(
    ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    live_sandbox.add_staff("admin1", "管理员")
    await live_sandbox.customer_adds_staff("zhangsan", "wmGone", name="赵六")

    async def profiled() -> bool:
        return bool((await ctx.services.profiles.get("wmGone")).name)

    await wait_until(profiled)
    await live_sandbox.staff_deletes_customer("zhangsan", "wmGone")

    def alerts() -> list[str]:
        texts = [m.content.get("content", "") for m in live_sandbox.app_messages("admin1")]
        return [t for t in texts if "删除了客户" in t]

    async def alerted() -> bool:
        await job_runner(ctx).run_due(live_sandbox.now() + 60)
        return bool(alerts())

    await wait_until(alerted)
    [text] = alerts()
    assert text.startswith("员工 张三（zhangsan） 于 ") and "「赵六」（wmGone）" in text


async def test_a_failure_report_names_the_sop_member_and_customer(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wmFail", name="钱七")
    rule = await SopStore(redis, keys).save(
        SopRule("", "新客关怀", [SopStep(text="你好", days=1)]), "admin1", None
    )

    async def profiled() -> bool:
        return bool((await ProfileStore(redis, keys).get("wmFail")).name)

    await wait_until(profiled)
    text = await describe(step_id(rule.id, 0, "zhangsan", "wmFail", 1), ctx)
    assert (
        text == f"SOP「新客关怀（{rule.id}）」第 1 步（员工 张三（zhangsan），客户 钱七（wmFail））"
    )
    alert = await describe(alert_id("admin", "zhangsan", "wmFail", 1), ctx)
    assert alert == "流失提醒（员工 张三（zhangsan））"
