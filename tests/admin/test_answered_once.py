"""Every command gets exactly one answer, also when the callback request waiting for it lost
Redis or the first run was cut short (both found by the soak harness: such commands were never
answered)."""

from __future__ import annotations

import pytest

from bot.admin import handoff
from bot.admin.marks import ANSWERED, RUNNING
from bot.context import HandlerContext
from bot.events import TextMessage
from bot.sandbox import Sandbox
from handlers.admin import INTERRUPTED, run_admin_command


def text(msg_id: str, content: str, userid: str = "admin1") -> TextMessage:
    return TextMessage(from_user_name=userid, msg_id=msg_id, content=content, msg_type="text")


def answers(sandbox: Sandbox, userid: str = "admin1") -> list[str]:
    return [m.content["content"] for m in sandbox.app_messages(userid) if m.msgtype == "text"]


@pytest.fixture(autouse=True)
def quick_confirm(monkeypatch: pytest.MonkeyPatch, live_sandbox: Sandbox) -> None:
    monkeypatch.setattr(handoff, "CONFIRM_SECONDS", 0.3)  # no callback request waits here
    live_sandbox.add_staff("admin1", "管理员")


async def test_an_answer_no_request_took_is_sent(
    ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    # the callback request's wait broke on a Redis restart: nobody picks the answer up
    await run_admin_command(
        text("7001", "话术 新增 售后/退货 | 退货流程 | 亲，七天无理由退货"), ctx
    )
    [answer] = answers(live_sandbox)
    assert answer.startswith("已新增话术")
    assert await ctx.redis.get(ctx.keys.admin_seen("7001")) == ANSWERED + answer


async def test_a_command_cut_short_is_answered_once_and_not_run_again(
    ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    await ctx.redis.set(ctx.keys.admin_seen("7002"), RUNNING)  # the first run died here
    event = text("7002", "话术 新增 售后/退货 | 换货流程 | 亲，换货请联系我")
    await run_admin_command(event, ctx)
    assert answers(live_sandbox) == [INTERRUPTED]
    assert "换货流程" not in "".join(answers(live_sandbox))  # not run a second time


async def test_chat_that_is_no_command_stays_unanswered_when_redelivered(
    ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    for _ in range(2):  # the first run, then a redelivery
        await run_admin_command(text("7003", "你好，今天开会吗"), ctx)
    assert answers(live_sandbox) == []
