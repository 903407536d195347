"""SOP reminders end to end with a controlled clock: the sandbox's, which stamps the events
and the messages; the job runner is driven with it instead of the wall clock."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import CORP_TIME
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sop.batches import BATCH_SECONDS, CLOSE_AFTER
from bot.sop.jobs import fire_id, step_id
from bot.sop.rules import Schedule, SopRule, SopStep
from bot.sop.runner import job_runner
from bot.sop.store import SopStore
from bot.sop.tasks import TaskStore
from bot.sop.triggers import SopTriggers
from tests.pipeline_support import wait_until


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
def ctx(sandbox_bot: TestServer) -> HandlerContext:
    return sandbox_bot.app[HANDLER_CONTEXT]


def cards(sandbox: Sandbox, userid: str) -> list[dict[str, str]]:
    return [m.content for m in sandbox.app_messages(userid) if m.msgtype == "textcard"]


def day_at(moment: float, days: int, hhmm: str) -> float:
    start = datetime.fromtimestamp(moment, CORP_TIME)
    hours, minutes = map(int, hhmm.split(":"))
    day = start.date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=CORP_TIME).timestamp()


async def test_a_step_goes_out_once_on_time_and_the_rest_stops_when_the_customer_leaves(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    store = SopStore(redis, keys)
    steps = [
        SopStep(text="{{ customer_name }}，用得还顺手吗？", days=3, at="10:00"),
        SopStep(text="一周回访", days=7, at="10:00"),
    ]
    rule = await store.save(SopRule("", "新客关怀", steps), "admin1", None)
    await live_sandbox.customer_adds_staff("zhangsan", "wmCare", name="王小明")
    added = int(live_sandbox.now())
    first = step_id(rule.id, 0, "zhangsan", "wmCare", added)

    async def scheduled() -> bool:
        return await redis.zscore(keys.jobs_due, first) is not None

    await wait_until(scheduled)
    due = float(await redis.zscore(keys.jobs_due, first) or 0)
    ten = day_at(added, 3, "10:00")
    assert ten < due < ten + 5 * 60  # day 3 at 10:00, moved off the busy minute

    runner = job_runner(ctx)
    # days pass in the sandbox; callbacks' transport timestamps stay on the bot's own clock,
    # which checks them against replays (the events inside carry the sandbox's time)
    assert live_sandbox.driver is not None
    live_sandbox.driver.clock = time.time
    live_sandbox.advance(due - 60 - live_sandbox.now())
    await runner.run_due(live_sandbox.now())
    assert cards(live_sandbox, "zhangsan") == []  # not yet
    live_sandbox.advance(due - live_sandbox.now())
    await runner.run_due(live_sandbox.now())
    [card] = cards(live_sandbox, "zhangsan")
    assert card["title"] == "SOP 提醒：新客关怀"
    assert "王小明，用得还顺手吗？" in card["description"]
    assert "/sidebar/sop/" in card["url"]
    await runner.run_due(live_sandbox.now() + 60)
    assert len(cards(live_sandbox, "zhangsan")) == 1  # once
    [task] = await TaskStore(redis, keys).pending("zhangsan", "wmCare")
    assert (task.rule_id, task.step, task.status) == (rule.id, 0, "sent")

    # the customer deletes the member before step 2: it never goes out
    second = step_id(rule.id, 1, "zhangsan", "wmCare", added)
    assert await redis.zscore(keys.jobs_due, second) is not None
    await live_sandbox.customer_deletes_staff("zhangsan", "wmCare")

    async def cancelled() -> bool:
        return await redis.zscore(keys.jobs_due, second) is None

    await wait_until(cancelled)
    live_sandbox.advance(day_at(added, 8, "12:00") - live_sandbox.now())
    await runner.run_due(live_sandbox.now())
    assert len(cards(live_sandbox, "zhangsan")) == 1
    # …and the member was told the customer left (the churn alert)
    texts = [
        m.content["content"] for m in live_sandbox.app_messages("zhangsan") if m.msgtype == "text"
    ]
    assert any("王小明" in t and "删除了您" in t for t in texts)


async def test_two_runners_send_every_reminder_exactly_once(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    live_sandbox.add_staff("wangwu", "王五")
    store = SopStore(redis, keys)
    await store.save(
        SopRule("", "两小时后跟进", [SopStep(text="跟进一下", hours=2)]), "admin1", None
    )
    triggers = SopTriggers.of(ctx)
    start = live_sandbox.now()
    for staff in ("zhangsan", "lisi", "wangwu"):
        for n in range(20):
            await triggers.fire("added", staff, f"wm{staff}{n:02d}", start)
    assert await redis.zcard(keys.jobs_due) == 60
    live_sandbox.advance(2 * 3600 + 5 * 60)
    # two processes on one Redis, small batches so they interleave
    one, two = job_runner(ctx, batch=4), job_runner(ctx, batch=4)
    ran = await asyncio.gather(one.run_due(live_sandbox.now()), two.run_due(live_sandbox.now()))
    assert sum(ran) == 60 and all(ran)
    for staff in ("zhangsan", "lisi", "wangwu"):
        pending = await TaskStore(redis, keys).pending(staff)
        assert sorted(t.target for t in pending) == [f"wm{staff}{n:02d}" for n in range(20)]
        assert len(cards(live_sandbox, staff)) == 20
    assert live_sandbox.app_messages(delivered=False) == []
    assert await redis.zcard(keys.jobs_due) == 0 and await redis.zcard(keys.jobs_inflight) == 0


async def test_two_hundred_reminders_in_one_minute_are_spread_under_the_limit(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    store = SopStore(redis, keys)
    await store.save(SopRule("", "活动提醒", [SopStep(text="活动开始啦", hours=1)]), "admin1", None)
    triggers = SopTriggers.of(ctx)
    start = live_sandbox.now()
    for n in range(200):
        await triggers.fire("added", "zhangsan", f"wmBurst{n:03d}", start)
    live_sandbox.advance(3600 + 5 * 60)
    runner = job_runner(ctx)
    minutes = 0
    while len(cards(live_sandbox, "zhangsan")) < 200 and minutes < 15:
        await runner.run_due(live_sandbox.now())
        live_sandbox.advance(60)
        minutes += 1
    delivered = live_sandbox.app_messages("zhangsan")
    assert len(delivered) == 200  # all of them…
    assert live_sandbox.app_messages(delivered=False) == []  # …none dropped by WeCom's limit
    times = sorted(m.time for m in delivered)
    assert all(later - earlier >= 60 for earlier, later in zip(times, times[30:], strict=False))
    assert minutes >= 7  # 200 at 30 a minute: spread over at least seven minutes


async def test_a_weekly_group_sop_becomes_a_mass_task_for_the_owner(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    await live_sandbox.group_created("lisi", "wrWeekend", ["wmA"], name="福利群")
    now = live_sandbox.now()
    weekday = datetime.fromtimestamp(now, CORP_TIME).isoweekday()
    schedule = Schedule(time="18:10", weekdays=[weekday % 7 + 1])  # tomorrow, then weekly
    step = SopStep(text="周末优惠来啦", delivery="mass")
    rule = SopRule("", "周末优惠", [step], kind="group", trigger="schedule", schedule=schedule)
    rule.groups = ["wrWeekend"]
    saved = await SopStore(redis, keys).save(rule, "admin1", None, now=now)
    occurrence = day_at(now, 1, "18:10")
    assert await redis.zscore(keys.jobs_due, fire_id(saved.id, occurrence)) is not None
    runner = job_runner(ctx)
    live_sandbox.advance(occurrence - live_sandbox.now())
    await runner.run_due(live_sandbox.now())  # the occurrence expands into the owner's step
    assert await redis.zscore(keys.jobs_due, fire_id(saved.id, occurrence + 7 * 86400))
    live_sandbox.advance(5 * 60)
    await runner.run_due(live_sandbox.now())
    assert live_sandbox.mass_tasks == []  # the step joined its batch: made after its minute
    live_sandbox.advance(BATCH_SECONDS + CLOSE_AFTER)
    await runner.run_due(live_sandbox.now())
    [task] = live_sandbox.mass_tasks
    assert (task.chat_type, task.sender, task.text) == ("group", "lisi", "周末优惠来啦")
    [pending] = await TaskStore(redis, keys).pending("lisi")
    assert (pending.target, pending.delivery, pending.mass_msgid) == (
        "wrWeekend",
        "mass",
        task.msgid,
    )
    assert cards(live_sandbox, "lisi") == []  # WeCom itself asks the owner to confirm


async def test_a_paused_rule_skips_what_falls_due(
    ctx: HandlerContext, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    store = SopStore(redis, keys)
    saved = await store.save(SopRule("", "暂停测试", [SopStep(text="x", hours=1)]), "a", None)
    triggers = SopTriggers.of(ctx)
    await triggers.fire("added", "zhangsan", "wmPaused", live_sandbox.now())
    await store.set_enabled(saved.id, False, "admin1")
    live_sandbox.advance(2 * 3600)
    assert await job_runner(ctx).run_due(live_sandbox.now()) == 1
    assert cards(live_sandbox, "zhangsan") == []
    assert await redis.zcard(keys.jobs_due) == 0  # skipped, not held
