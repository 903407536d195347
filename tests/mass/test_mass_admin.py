"""Admin chat 群发: list, show (members by name, sent or not, why some were left out), pause and
continue (undoable), remind, cancel (confirmed with a code first, audited); unknown ids and
wrong states answered in Chinese."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot.admin.commands import AdminCommands
from bot.config import Settings
from bot.context import HandlerContext
from bot.mass import actions
from bot.mass.create import make
from bot.mass.model import MassTask
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from bot.wecom import WeComClient
from tests.admin.conftest import audit_entries, code_in, say
from tests.helpers import handler_context


@pytest.fixture
def ctx(sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient) -> HandlerContext:
    settings = replace(sandbox_settings, admins=frozenset({"admin1"}))
    return handler_context(settings, redis, sandbox_wecom)


async def test_list_show_pause_remind_cancel(ctx: HandlerContext, live_sandbox: Sandbox) -> None:
    commands = AdminCommands(ctx)
    assert "还没有群发任务" in await say(commands, "群发 列表")
    now = int(time.time())
    for n in range(3):
        eid = f"wmadm{n}"
        live_sandbox.state.follows[("lisi", eid)] = FollowUser("lisi", eid, now - 60)
        await ctx.services.profiles.record_contact(
            {
                "external_contact": {"external_userid": eid, "name": f"王女士{n}"},
                "follow_user": [{"userid": "lisi", "createtime": now - 60}],
            },
            now,
        )
    later = await actions.save_new(
        ctx, MassTask("", "元旦预告", "新年好", not_before="2099-01-01 09:00"), by="admin1"
    )
    task = await actions.save_new(ctx, MassTask("", "周末上新", "新品到店"), by="admin1")
    listed = await say(commands, "群发 列表")
    assert f"{later.id} 元旦预告（待创建，2099-01-01 09:00）" in listed

    assert "已暂停群发" in await say(commands, f"群发 暂停 {later.id}")
    assert (await ctx.services.mass.get(later.id)).status == "paused"  # type: ignore[union-attr]
    assert "已撤销" in await say(commands, "撤销")
    assert (await ctx.services.mass.get(later.id)).status == "scheduled"  # type: ignore[union-attr]

    await make(ctx, task, now)
    shown = await say(commands, f"群发 查看 {task.id}")
    assert "待员工发送" in shown and "· 李四：未发送" in shown and "未发送 3" in shown
    assert "只有待创建的任务可以暂停" in await say(commands, f"群发 暂停 {task.id}")
    assert "已请企业微信提醒 1 位" in await say(commands, f"群发 提醒 {task.id}")

    asked = await say(commands, f"群发 取消 {task.id}")
    assert "将取消群发" in asked and "无法撤销" in asked
    assert not live_sandbox.mass_tasks[0].cancelled  # not before the code
    done = await say(commands, f"确认 {code_in(asked)}")
    assert "已取消群发" in done and "撤回了 1 个企业微信群发任务" in done
    assert live_sandbox.mass_tasks[0].cancelled
    assert (await audit_entries(ctx, 5))[0].action == "mass.cancel"
    assert "没有编号为 nope 的群发任务" in await say(commands, "群发 查看 nope")
