"""Mass-send tasks end to end through the sandbox: an audience of 25,000 customers over three
members is split into WeCom-sized tasks (one member per customer, the newest relation), a
customer at quota is left out and reported before anything is created, two workers making the
same task create each WeCom task once, a member confirms and the results roll up; pause,
cancel and reminders refuse what WeCom would; bad tasks are refused in Chinese."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.clock import corp_date
from bot.config import Settings
from bot.context import HandlerContext
from bot.mass import actions
from bot.mass.create import make, preview, quota_of
from bot.mass.model import Audience, MassError, MassTask
from bot.mass.periodic import make_due, read_results
from bot.mass.results import rollup
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from bot.wecom import WeComClient
from tests.helpers import handler_context, in_processes

ROOT = Path(__file__).resolve().parents[2]

STAFF = {"zhangsan": 12_000, "lisi": 8_000, "wangwu": 5_000}
DAY = 86400


async def _seed(ctx: HandlerContext, sandbox: Sandbox, now: int) -> list[str]:
    """25,000 customers: zhangsan's first 12,000, then lisi's and wangwu's; the first 300
    also added lisi earlier (zhangsan, the newer relation, sends to them). Every other
    customer has the tag 高意向; the rest 普通."""
    sandbox.add_staff("wangwu", "王五")
    customers: list[str] = []
    writes = []
    n = 0
    for member, count in STAFF.items():
        for _ in range(count):
            eid = f"wm{n:06d}"
            customers.append(eid)
            follows = [(member, now - 1000)]
            if member == "zhangsan" and n < 300:
                follows.append(("lisi", now - 5000))
            tag = "高意向" if n % 2 == 0 else "普通"
            for userid, at in follows:
                sandbox.state.follows[(userid, eid)] = FollowUser(userid, eid, at)
            data: dict[str, Any] = {
                "external_contact": {"external_userid": eid, "name": f"客户{n}"},
                "follow_user": [
                    {
                        "userid": u,
                        "createtime": at,
                        "tags": [
                            {"tag_id": f"et{tag}", "group_name": "意向", "tag_name": tag, "type": 1}
                        ],
                    }
                    for u, at in follows
                ],
            }
            writes.append(ctx.services.profiles.record_contact(data, now))
            n += 1
            if len(writes) >= 500:
                await asyncio.gather(*writes)
                writes = []
    await asyncio.gather(*writes)
    return customers


def _task(**changes: Any) -> MassTask:
    fields: dict[str, Any] = {
        "id": "",
        "name": "双十二预热",
        "text": "{{ staff_name }}：双十二会员价提前看",
    }
    return MassTask(**(fields | changes))


@pytest.fixture
def mass_ctx(
    sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient
) -> HandlerContext:
    return handler_context(replace(sandbox_settings, mass_quota="day"), redis, sandbox_wecom)


async def test_a_task_to_25000_customers_is_split_quota_checked_made_once_and_rolled_up(
    mass_ctx: HandlerContext, live_sandbox: Sandbox, tmp_path: Path
) -> None:
    ctx = mass_ctx
    now = int(time.time())
    customers = await _seed(ctx, live_sandbox, now)
    # one customer already got today's mass message (the day policy allows one)
    at_quota = customers[5]
    assert (await quota_of(ctx).reserve([at_quota], corp_date(now)))[0] == [at_quota]

    task = await actions.save_new(ctx, _task(), by="admin")
    seen = await preview(ctx, task)
    assert seen.members == {"zhangsan": 11_999, "lisi": 8_000, "wangwu": 5_000}
    assert seen.left_counts["quota"] == 1 and seen.left_out["quota"] == [at_quota]
    assert live_sandbox.mass_tasks == []  # a preview creates nothing

    # two worker processes and this one make it at once: each WeCom task is made once
    made = await in_processes(
        ctx.settings,
        tmp_path,
        "bot.mass.periodic:make_due",
        lambda: make_due(ctx),
        {"SCRM_MASS_QUOTA": ctx.settings.mass_quota},
    )
    assert sum(made) >= 1
    tasks = live_sandbox.mass_tasks
    by_member: dict[str, list[int]] = {}
    for t in tasks:
        by_member.setdefault(t.sender, []).append(len(t.recipients))
    # 12,000 cut at WeCom's 10,000 a call (in SCAN's order: the one at quota in either part)
    assert sorted(by_member) == ["lisi", "wangwu", "zhangsan"]
    assert (by_member["lisi"], by_member["wangwu"]) == ([8_000], [5_000])
    assert sorted(by_member["zhangsan"]) in ([1_999, 10_000], [2_000, 9_999])
    reached = [r for t in tasks for r in t.recipients]
    assert len(reached) == len(set(reached)) == 24_999 and at_quota not in reached
    # the 300 followed by both go through zhangsan, their newest relation
    zhang = {r for t in tasks if t.sender == "zhangsan" for r in t.recipients}
    assert {f"wm{n:06d}" for n in range(300) if n != 5} <= zhang
    assert all(
        t.text == f"{live_sandbox.state.staff[t.sender].name}：双十二会员价提前看" for t in tasks
    )
    assert (await ctx.services.mass.get(task.id)).status == "sent"  # type: ignore[union-attr]
    report = await ctx.services.mass.left_out_report(task.id)
    assert report["quota"] == (1, [at_quota])
    # each member was told to go and send
    for member in STAFF:
        cards = live_sandbox.app_messages(member)
        assert any("双十二预热" in str(m.content) for m in cards), member

    # a retried round makes nothing new
    assert await make_due(ctx, now + 60) == 0
    assert len(live_sandbox.mass_tasks) == 4

    # lisi confirms; the results roll up after the next read
    lisi = next(t for t in tasks if t.sender == "lisi")
    live_sandbox.member_sends_mass(lisi.msgid, "lisi")
    assert await read_results(ctx) == 0  # the others haven't sent
    numbers = await rollup(ctx, task)
    assert (numbers.members_sent, numbers.members_pending) == (1, 3)
    assert numbers.recipients["sent"] == 8_000
    assert numbers.recipients["unsent"] == 16_999
    assert numbers.per_member["lisi"]["sent"] and not numbers.per_member["zhangsan"]["sent"]

    # reminders: WeCom's three in 24 hours per WeCom task, then refused in Chinese
    for _ in range(3):
        assert await actions.remind(ctx, task.id) == 3
    with pytest.raises(MassError, match="24 小时内已提醒 3 次"):
        await actions.remind(ctx, task.id)

    # the rest confirm: the task is done
    for t in tasks:
        if t.sender != "lisi":
            live_sandbox.member_sends_mass(t.msgid, t.sender)
    assert await read_results(ctx) == 1
    assert (await ctx.services.mass.get(task.id)).status == "done"  # type: ignore[union-attr]
    numbers = await rollup(ctx, task)
    assert numbers.recipients["sent"] == 24_999 and numbers.members_pending == 0


async def test_cancel_gives_unsent_places_back_and_pause_holds_a_task(
    mass_ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    ctx = mass_ctx
    now = int(time.time())
    for n in range(30):
        eid = f"wmc{n:03d}"
        live_sandbox.state.follows[("zhangsan", eid)] = FollowUser("zhangsan", eid, now - 100)
        await ctx.services.profiles.record_contact(
            {
                "external_contact": {"external_userid": eid},
                "follow_user": [{"userid": "zhangsan", "createtime": now - 100}],
            },
            now,
        )
    later = await actions.save_new(ctx, _task(not_before="2099-01-01 09:00"), by="admin")
    assert (await actions.pause(ctx, later.id)).status == "paused"
    assert await make_due(ctx, now) == 0  # paused and not yet due: nothing made
    with pytest.raises(MassError, match="只有待创建的任务可以暂停"):
        await actions.pause(ctx, later.id)
    assert (await actions.resume(ctx, later.id)).status == "scheduled"

    task = await actions.save_new(ctx, _task(), by="admin")
    await make(ctx, task, now)
    assert len(live_sandbox.mass_tasks) == 1
    quota = quota_of(ctx)
    assert await quota.used("wmc000", corp_date(now)) == 1
    cancelled, count = await actions.cancel(ctx, task.id)
    assert (cancelled.status, count) == ("cancelled", 1)
    assert live_sandbox.mass_tasks[0].cancelled
    assert await quota.used("wmc000", corp_date(now)) == 0  # unsent: the place came back
    with pytest.raises(MassError, match="不能再取消"):
        await actions.cancel(ctx, task.id)


async def test_skip_recent_leaves_out_who_got_one_today(
    sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    ctx = handler_context(replace(sandbox_settings, mass_quota="month"), redis, sandbox_wecom)
    now = int(time.time())
    for eid in ("wmr1", "wmr2"):
        live_sandbox.state.follows[("lisi", eid)] = FollowUser("lisi", eid, now - 100)
        await ctx.services.profiles.record_contact(
            {
                "external_contact": {"external_userid": eid},
                "follow_user": [{"userid": "lisi", "createtime": now - 100}],
            },
            now,
        )
    first = await actions.save_new(ctx, _task(audience=Audience(staff=("lisi",))), by="admin")
    await make(ctx, first, now)
    second = await actions.save_new(ctx, _task(skip_recent="day"), by="admin")
    seen = await preview(ctx, second)
    assert seen.total == 0 and seen.left_counts["recent"] == 2
    await make(ctx, second, now)
    assert (await ctx.services.mass.left_out_report(second.id))["recent"][0] == 2
    assert len(live_sandbox.mass_tasks) == 1  # nothing left to send: no WeCom task


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "任务名称需要"),
        ({"text": "", "attachments": ()}, "不能都为空"),
        ({"text": "{{ customer_name }} 您好"}, "customer_name"),
        ({"mode": "free"}, "统一群发"),
        ({"not_before": "明天"}, "YYYY-MM-DD HH:MM"),
        ({"chat_type": "group"}, "需要指定群主"),
        ({"audience": Audience(group_name="会员群")}, "群名条件只用于"),
        ({"attachments": ({"msgtype": "product", "product": {"id": "nope"}},)}, "商品 nope 不存在"),
    ],
)
async def test_bad_tasks_are_refused_in_chinese(
    mass_ctx: HandlerContext, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(MassError, match=message):
        await actions.save_new(mass_ctx, _task(**changes), by="admin")
    assert await mass_ctx.services.mass.all() == []


async def test_a_task_to_groups_by_owner_and_name(
    mass_ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    ctx = mass_ctx
    for chat_id, owner, name in (
        ("wrA", "lisi", "会员福利群1"),
        ("wrB", "lisi", "会员福利群2"),
        ("wrC", "lisi", "售后群"),
        ("wrD", "zhangsan", "会员福利群3"),
    ):
        await live_sandbox.group_created(owner, chat_id, ["wmX"], name=name)
    audience = Audience(staff=("lisi",), group_name="福利")
    task = await actions.save_new(
        ctx, _task(chat_type="group", audience=audience, text="今晚 8 点抽奖"), by="admin"
    )
    seen = await preview(ctx, task)
    assert seen.members == {"lisi": 2}
    await make(ctx, task, int(time.time()))
    [made] = live_sandbox.mass_tasks
    assert (made.chat_type, made.sender, sorted(made.recipients)) == (
        "group",
        "lisi",
        ["wrA", "wrB"],
    )
