"""The console's inheritance page: a resigned member's waiting customers by name, a hand-over
started from the form (audited) and listed with each takeover member's outcomes; bad input
refused in Chinese."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from tests.console.conftest import SignIn


async def test_waiting_start_and_list(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    for n in range(3):
        live_sandbox.state.follows[("zhangsan", f"wmI{n}")] = FollowUser("zhangsan", f"wmI{n}", 0)
    await live_sandbox.member_resigns("zhangsan")
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}inheritance") as page:
        html = await page.text()
    assert "<td>张三" in html and "<td>3</td>" in html
    form = {"kind": "resigned", "handover": "zhangsan", "takers": "lisi", "rule": "round_robin",
            "customers": "", "message": "", "groups": True}  # fmt: skip
    _, same = await browser.post("api/inheritance/start", form | {"takers": "zhangsan"})
    assert same["refused"] and "不能是原员工本人" in same["reply"]
    _, made = await browser.post("api/inheritance/start", form)
    assert not made["refused"] and "已开始继承" in made["reply"], made
    assert len(live_sandbox.state.transfers) == 3
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("inherit.start", "console")
    async with browser.http.get(f"{browser.base}inheritance") as page:
        html = await page.text()
    assert "李四（lisi）：等待接替 3" in html
    status, _ = await browser.post("api/inheritance/start", form | {"kind": "steal"})
    assert status == 400
