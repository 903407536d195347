"""Admin chat 继承: the waiting customers by member, an assignment confirmed with a code first
(nothing sent before it), audited, and its progress."""

from __future__ import annotations

from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot.admin.commands import AdminCommands
from bot.config import Settings
from bot.context import HandlerContext
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from bot.wecom import WeComClient
from tests.admin.conftest import audit_entries, code_in, say
from tests.helpers import handler_context


@pytest.fixture
def ctx(sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient) -> HandlerContext:
    return handler_context(
        replace(sandbox_settings, admins=frozenset({"admin1"})), redis, sandbox_wecom
    )


async def test_waiting_assign_show(ctx: HandlerContext, live_sandbox: Sandbox) -> None:
    commands = AdminCommands(ctx)
    assert "没有待分配" in await say(commands, "继承 待分配")
    live_sandbox.add_staff("wangwu", "王五")
    for n in range(4):
        live_sandbox.state.follows[("zhangsan", f"wmK{n}")] = FollowUser("zhangsan", f"wmK{n}", 0)
    await live_sandbox.member_resigns("zhangsan")
    assert "张三（zhangsan）：4 位" in await say(commands, "继承 待分配")
    asked = await say(commands, "继承 分配 zhangsan lisi wangwu")
    assert "将把 zhangsan 的 4 位客户、0 个客户群轮流分配给 lisi、wangwu" in asked
    assert live_sandbox.state.transfers == []  # nothing before the code
    done = await say(commands, f"确认 {code_in(asked)}")
    assert "已开始继承" in done
    assert sorted(t.takeover for t in live_sandbox.state.transfers) == [
        "lisi",
        "lisi",
        "wangwu",
        "wangwu",
    ]
    assert (await audit_entries(ctx, 1))[0].action == "inherit.start"
    job_id = done.split("编号 ")[1][:6]
    shown = await say(commands, f"继承 查看 {job_id}")
    assert "李四（lisi）：等待接替 2" in shown
    assert "没有待分配的客户" in await say(commands, "继承 分配 lisi wangwu")
