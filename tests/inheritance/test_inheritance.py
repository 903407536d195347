"""Inheritance end to end through the sandbox: a member resigns and the admins are told how many
customers and groups wait; 250 customers and 5 groups are assigned to two members (customers
100 a call), one customer refuses, the rest are taken over 24 hours later; only then does our
side follow — the profile's relations, the customer's open SOP task and scheduled step move to
the new member; the hand-over ends when everything is final."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.config import Settings
from bot.context import HandlerContext
from bot.inheritance.assign import assign
from bot.inheritance.runner import InheritError, poll, start
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sandbox.routes_transfer import TAKEOVER_AFTER
from bot.sandbox.state import FollowUser
from bot.sop.jobs import step_id
from bot.sop.tasks import SopTask, TaskStore
from tests.pipeline_support import wait_until

CUSTOMERS = [f"wmH{n:04d}" for n in range(250)]


@pytest.fixture
async def bot(sandbox_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any) -> TestServer:
    from bot.app import create_app

    settings = replace(sandbox_settings, admins=frozenset({"lisi"}))
    server: TestServer = await aiohttp_server(create_app(settings))
    live_sandbox.connect_bot(
        str(server.make_url("/wecom/callback")), settings.token, settings.aes_key
    )
    return server


async def _seed(ctx: HandlerContext, sandbox: Sandbox) -> None:
    sandbox.add_staff("wangwu", "王五", [2])
    now = int(sandbox.now())
    for eid in CUSTOMERS:
        sandbox.state.follows[("zhangsan", eid)] = FollowUser("zhangsan", eid, now)
        await ctx.services.profiles.added(eid, "zhangsan", now, "")
    for n in range(5):
        await sandbox.group_created("zhangsan", f"wrH{n}", ["wmH0000"], name=f"会员群{n}")


async def test_a_resigned_member_s_customers_and_groups_are_handed_over(
    bot: TestServer, live_sandbox: Sandbox, redis: Redis
) -> None:
    ctx: HandlerContext = bot.app[HANDLER_CONTEXT]
    keys: RedisKeys = ctx.keys
    await _seed(ctx, live_sandbox)
    # zhangsan's open SOP task about the first customer, and a step scheduled for the second
    tasks = TaskStore(redis, keys)
    task = SopTask(
        "t1",
        "sop|r|0|zhangsan|wmH0000|1",
        "r",
        "回访",
        0,
        "zhangsan",
        "wmH0000",
        "customer",
        "reminder",
        "回访",
    )
    await tasks.begin(task)
    await tasks.sent(task, int(time.time()))
    later = step_id("r", 1, "zhangsan", "wmH0001", 1)
    await ctx.services.sops.scheduler.add({later: time.time() + 86400 * 3})

    await live_sandbox.member_resigns("zhangsan")

    async def alerted() -> bool:
        return any(
            "250 位客户、5 个客户群待分配" in str(m.content)
            for m in live_sandbox.app_messages("lisi")
        )

    await wait_until(alerted)
    handover = await start(
        ctx, "resigned", "zhangsan", ["lisi", "wangwu"], "round_robin", by="admin"
    )
    calls = live_sandbox.calls_to("externalcontact/resigned/transfer_customer")
    sizes = sorted(len(c.body["external_userid"]) for c in calls)
    assert sizes == [25, 25, 100, 100]  # 125 each, 100 a call
    assert all(live_sandbox.state.groups[f"wrH{n}"].owner in ("lisi", "wangwu") for n in range(5))
    refused = CUSTOMERS[7]
    await live_sandbox.customer_refuses_transfer(refused)

    assert not await poll(ctx, handover)  # waiting: nothing of ours moved yet
    assert "lisi" not in (await ctx.services.profiles.get("wmH0000")).follows
    assert [t.id for t in await tasks.pending("zhangsan")] == ["t1"]

    live_sandbox.advance(TAKEOVER_AFTER + 60)
    await live_sandbox.settle_transfers()
    assert await poll(ctx, handover)  # everything final
    rows = await ctx.services.inheritance.customers(handover.id)
    statuses = [r["status"] for r in rows.values()]
    assert (statuses.count(1), statuses.count(3)) == (249, 1)
    assert rows[refused]["status"] == 3
    first = await ctx.services.profiles.get("wmH0000")
    assert first.follows["lisi"].connected and first.follows["zhangsan"].deleted_by == "transfer"
    assert await tasks.pending("zhangsan") == []
    assert [t.id for t in await tasks.pending("lisi")] == ["t1"]
    moved = step_id("r", 1, "wangwu", "wmH0001", 1)  # round robin: the second went to wangwu
    assert await redis.zscore(keys.jobs_due, moved) is not None
    assert await redis.zscore(keys.jobs_due, later) is None
    assert (await ctx.services.inheritance.get(handover.id)).status == "done"  # type: ignore[union-attr]


async def test_on_job_transfers_refuse_a_third_in_90_days_before_calling(
    sandbox_settings: Settings, live_sandbox: Sandbox, redis: Redis, sandbox_wecom: Any
) -> None:
    from tests.helpers import handler_context

    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)
    for eid in ("wmJ1", "wmJ2"):
        await live_sandbox.customer_adds_staff("zhangsan", eid)
    await live_sandbox.customer_adds_staff("lisi", "wmJ3")
    for old, new in (("zhangsan", "lisi"), ("lisi", "zhangsan")):  # twice: WeCom's most
        made = await start(
            ctx, "onjob", old, [new], "one", by="admin", groups=False, message="您好，我是新的顾问"
        )
        live_sandbox.advance(TAKEOVER_AFTER + 60)
        await live_sandbox.settle_transfers()
        assert await poll(ctx, made)
    calls = live_sandbox.calls_to("externalcontact/transfer_customer")
    assert calls[0].body["transfer_success_msg"] == "您好，我是新的顾问"
    assert [sorted(c.body["external_userid"]) for c in calls] == [
        ["wmJ1", "wmJ2"],
        ["wmJ1", "wmJ2", "wmJ3"],
    ]
    with pytest.raises(InheritError, match="2 位客户 90 天内都已转接过 2 次"):
        await start(
            ctx,
            "onjob",
            "zhangsan",
            ["lisi"],
            "one",
            by="admin",
            groups=False,
            customers=["wmJ1", "wmJ2"],
        )
    assert len(live_sandbox.calls_to("externalcontact/transfer_customer")) == 2  # never called
    with pytest.raises(InheritError, match="接替的员工不能是原员工本人"):
        await start(ctx, "onjob", "zhangsan", ["zhangsan"], "one", by="admin")


def test_assignment_rules() -> None:
    customers = [f"c{n}" for n in range(7)]
    assert assign("one", customers, ["a", "b"]) == {"a": customers}
    split = assign("round_robin", customers, ["a", "b", "c"])
    assert [len(split[t]) for t in ("a", "b", "c")] == [3, 2, 2]
    near = assign(
        "department",
        customers,
        ["a", "b"],
        departments={"a": [1], "b": [2]},
        handover_departments=[2],
    )
    assert near == {"b": customers}
    least = assign("least", customers, ["a", "b"], held={"a": 5, "b": 0})
    assert (len(least["a"]), len(least["b"])) == (1, 6)
    with pytest.raises(ValueError):
        assign("random", customers, ["a"])


async def test_groups_past_300_a_day_wait_for_the_next_day(
    sandbox_settings: Settings, live_sandbox: Sandbox, redis: Redis, sandbox_wecom: Any
) -> None:
    from bot.inheritance.periodic import round_
    from bot.sandbox.state import GroupChat
    from tests.helpers import handler_context

    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)
    await live_sandbox.customer_adds_staff("zhangsan", "wmG1")
    for n in range(305):
        live_sandbox.state.groups[f"wrG{n:03d}"] = GroupChat(
            f"wrG{n:03d}", "zhangsan", ["zhangsan"]
        )
    await live_sandbox.member_resigns("zhangsan")
    made = await start(ctx, "resigned", "zhangsan", ["lisi"], "one", by="admin")
    groups = await ctx.services.inheritance.groups(made.id)
    states = [g["state"] for g in groups.values()]
    assert (states.count("done"), states.count("waiting")) == (300, 5)
    await round_(ctx, live_sandbox.now() + 3600)  # the same day: nothing more goes
    assert sum(1 for c in live_sandbox.state.groups.values() if c.owner == "lisi") == 300
    live_sandbox.advance(86400 + 60)
    await round_(ctx, live_sandbox.now())
    assert sum(1 for c in live_sandbox.state.groups.values() if c.owner == "lisi") == 305
