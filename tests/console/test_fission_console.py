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


def _png_b64(width: int, height: int) -> str:
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "#fde").save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_an_activity_created_in_the_console_and_taken_back(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    store = FissionStore(redis, keys)
    browser = await sign_in("admin1")
    _, uploaded = await browser.post(
        "api/media/image", {"name": "bg.png", "data": _png_b64(750, 1200)}
    )
    form = {
        "name": "邀3位好友领券",
        "staff": "zhangsan lisi",
        "start": "2026-12-01T10:00",
        "end": "2027-01-01T10:00",
        "goal": "3",
        "hold_hours": "24",
        "reward": "message",
        "reward_text": "送您 20 元券",
        "reward_url": "",
        "poster_text": "扫码加我",
        "chats": "",
        "poster_ref": uploaded["ref"],
    }
    for changes, said in (
        ({"end": "2026-11-01T10:00"}, "结束时间 2026-11-01 10:00 应晚于开始时间"),
        ({"poster_ref": ""}, "海报需要一张背景图片"),
        ({"reward_text": ""}, "消息奖励需要填写消息内容"),
    ):
        _, answer = await browser.post("api/fission/create", form | changes)
        assert answer["refused"] and said in answer["reply"], (changes, answer)
    _, huge = await browser.post(
        "api/media/image", {"name": "big.png", "data": _png_b64(6000, 6000)}
    )
    _, answer = await browser.post("api/fission/create", form | {"poster_ref": huge["ref"]})
    assert answer["refused"] and "太大（6000×6000 像素）" in answer["reply"]
    status, answer = await browser.post("api/fission/create", form | {"staff": "<b>"})
    assert status == 400
    assert await store.activities() == []

    _, answer = await browser.post("api/fission/create", form)
    assert not answer["refused"], answer
    [activity] = await store.activities()
    assert (activity.start, activity.staff, activity.goal_kind) == (
        "2026-12-01 10:00",
        ["zhangsan", "lisi"],
        "friends",
    )
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("fission.create", "console")
    _, undone = await browser.post("api/undo")
    assert "删除了裂变活动" in undone["reply"] and await store.activities() == []
