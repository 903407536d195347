"""A huge input is never echoed back: every admin chat reply quotes at most a short prefix and
stays within WeCom's 2,048 bytes of text, through the sandbox as an admin sees it."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from bot.sandbox import Sandbox
from tests.admin.test_admin_chat_e2e import admin_bot, admin_settings, say

__all__ = ["admin_bot", "admin_settings"]  # fixtures shared with the end-to-end admin tests

HUGE = "竞品" * 5_000  # 10,000 characters, 30 KB


@pytest.mark.parametrize(
    "command",
    [
        f"敏感词 新增 竞品 {HUGE}",
        f"敏感词 新增 {HUGE} 竞品甲",
        f"敏感词 删除 {HUGE}",
        f"话术 搜索 {HUGE}",
        f"话术 查看 {HUGE}",
        f"话术 历史 {HUGE}",
        f"欢迎语 查看 {HUGE}",
    ],
)
async def test_a_huge_input_gets_a_short_reply(
    command: str, admin_bot: TestServer, live_sandbox: Sandbox
) -> None:
    reply = await say(live_sandbox, "admin1", command)
    assert len(reply.encode()) <= 2048, reply[:200]
    assert "竞品" * 40 not in reply, reply[:200]
