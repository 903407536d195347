"""The console's fission page: activities with their numbers, a customer's personal code and
poster, and the coupon pool's upload — audited, and taken back out by 撤销 while unissued."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.fission.store import FissionStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from tests.console.conftest import SignIn
from tests.fission.test_fission import _activity


async def test_numbers_poster_and_coupons(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    store = FissionStore(redis, keys)
    activity = await store.save(await _activity(redis, keys, sandbox_wecom), None)
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}fission") as page:
        html = await page.text()
    assert "邀3位好友领券" in html and "进行中" in html and f"编号 {activity.id}" in html

    _, joined = await browser.post("api/fission/join", {"id": activity.id, "customer": "wmC1"})
    assert not joined["refused"], joined
    href = joined["download"]["href"]
    assert href == f"fission/{activity.id}/poster/wmC1.png"
    async with browser.http.get(f"{browser.base}{href}") as image:
        assert image.content_type == "image/png"
        assert (await image.read()).startswith(b"\x89PNG")
    async with browser.http.get(f"{browser.base}fission/{activity.id}/poster/wmNobody.png") as gone:
        assert gone.status == 404  # only those who joined: a GET makes no code

    codes = "A-001\nA-002\n\nA-001\n"
    _, added = await browser.post("api/fission/coupons", {"id": activity.id, "text": codes})
    assert "已添加 2 个券码" in added["reply"] and await store.coupons_left(activity.id) == 2
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("fission.coupons", "console")
    _, undone = await browser.post("api/undo")
    assert "取出 2 个未发放的券码" in undone["reply"]
    assert await store.coupons_left(activity.id) == 0

    for body, status in (
        ({"id": "../x", "text": "A"}, 400),
        ({"id": "abcdef", "text": "A"}, 404),
        ({"id": activity.id, "text": 5}, 400),
    ):
        answer_status, _ = await browser.post("api/fission/coupons", body)
        assert answer_status == status, body
    _, long = await browser.post("api/fission/coupons", {"id": activity.id, "text": "x" * 65})
    assert long["refused"] and "第 1 个券码太长" in long["reply"]
    status, bad = await browser.post("api/fission/join", {"id": activity.id, "customer": "<b>"})
    assert status == 400 and bad["error"] == "请填写客户的 external_userid"
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}fission") as page:
        assert page.status == 403
