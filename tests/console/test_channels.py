"""The console's channel-code page (the welcome feature's own, through its record): create,
edit and delete through WeCom's contact ways, the QR code shown and downloaded as PNG, bad
input refused in Chinese with nothing stored, every change audited and taken back by 撤销."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.welcome.channels import ChannelStore
from tests.console.conftest import SignIn


def _stores(settings: Settings, redis: Redis) -> tuple[ChannelStore, AuditLog]:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    return ChannelStore(redis, keys), AuditLog(redis, keys)


async def test_create_show_download_edit_undo_delete(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    store, audit = _stores(console_settings, redis)
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}channels") as page:
        assert "还没有渠道活码" in await page.text()
    form = {"name": "春季海报", "users": "zhangsan", "backup": "lisi", "daily_limit": "50"}
    status, saved = await browser.post("api/channels/save", form)
    assert status == 200 and not saved["refused"] and "春季海报" in saved["reply"]
    [channel] = await store.list()
    assert (channel.users, channel.backup, channel.daily_limit) == (["zhangsan"], ["lisi"], 50)
    assert channel.config_id in live_sandbox.state.contact_ways  # a real contact way

    async with browser.http.get(f"{browser.base}channels") as page:
        text = await page.text()
    assert "张三" in text and "李四" in text and f"channels/{channel.id}/qr.png" in text
    async with browser.http.get(f"{browser.base}channels/{channel.id}/qr.png") as image:
        assert image.content_type == "image/png"
        assert (await image.read()).startswith(b"\x89PNG\r\n\x1a\n")
    async with browser.http.get(
        f"{browser.base}channels/{channel.id}/qr.png", params={"download": "1"}
    ) as image:
        assert f'filename="channel-{channel.id}.png"' in image.headers["Content-Disposition"]

    edit = form | {"id": channel.id, "name": "夏季海报"}
    status, saved = await browser.post("api/channels/save", edit)
    assert not saved["refused"] and (await store.get(channel.id)).name == "夏季海报"  # type: ignore[union-attr]
    [entry] = await audit.latest(1)
    assert (entry.action, entry.via, entry.summary) == (
        "channel.update",
        "console",
        "修改渠道活码「夏季海报」",
    )
    status, undone = await browser.post("api/undo")
    assert "恢复为修改前" in undone["reply"]
    assert (await store.get(channel.id)).name == "春季海报"  # type: ignore[union-attr]

    status, deleted = await browser.post("api/channels/delete", {"id": channel.id})
    assert not deleted["refused"] and await store.list() == []
    assert channel.config_id not in live_sandbox.state.contact_ways
    status, undone = await browser.post("api/undo")
    assert "恢复了渠道活码「春季海报」" in undone["reply"]
    [revived] = await store.list()
    assert revived.name == "春季海报" and revived.config_id != channel.config_id


async def test_bad_channels_are_refused_in_chinese_and_nothing_is_stored(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    store, audit = _stores(console_settings, redis)
    browser = await sign_in("admin1")
    status, answer = await browser.post("api/channels/save", {"name": "无人", "users": ""})
    assert answer["refused"] and "至少需要一名员工" in answer["reply"]
    status, answer = await browser.post(
        "api/channels/save", {"name": "查无此人", "users": "nobody"}
    )
    assert answer["refused"] and "nobody" in answer["reply"]
    status, answer = await browser.post(
        "api/channels/save", {"name": "负数", "users": "zhangsan", "daily_limit": "-1"}
    )
    assert (status, answer["error"]) == (400, "每日添加上限应是 0 或正整数（0 表示不限）")
    status, answer = await browser.post(
        "api/channels/save", {"name": "x", "users": "<script>alert(1)</script>"}
    )
    assert status == 400 and "不是有效的账号" in answer["error"]
    status, answer = await browser.post(
        "api/channels/save", {"name": "名" * 31, "users": "zhangsan"}
    )
    assert answer["refused"] and "渠道名称" in answer["reply"]
    status, answer = await browser.post("api/channels/delete", {"id": "../../x"})
    assert (status, answer["error"]) == (400, "没有这个渠道")
    assert await store.list() == [] and await audit.latest(3) == []
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}channels") as page:
        assert page.status == 403


async def test_the_welcome_preview_renders_for_a_sample_customer_and_says_what_a_save_refuses(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn
) -> None:
    browser = await sign_in("admin1")
    await browser.run("word.add", category="竞品", words="甲品牌")

    async def preview(text: object) -> tuple[int, dict[str, object]]:
        status, answer = await browser.post("api/welcome/preview", {"text": text})
        return status, answer

    status, shown = await preview(
        "{{ customer_name }}您好，我是{{ staff_name }}（{{ channel_name }}）"
    )
    assert status == 200 and shown["bubble"] == "王小明您好，我是王管理（春季海报）"
    assert shown["problem"] == "" and shown["limit"] == 4000
    _, blocked = await preview("比甲品牌便宜")
    assert "甲品牌" in str(blocked["problem"]) and blocked["bubble"] == "比甲品牌便宜"
    _, broken = await preview("{{ customer_name ")
    assert broken["problem"] and broken["bubble"] == ""
    _, unknown = await preview("{{ password }}")
    assert "password" in str(unknown["problem"])
    _, huge = await preview("欢" * 1400)
    assert huge["bytes"] == 4200 and "4000" in str(huge["problem"]) and huge["bubble"] == ""
    assert "欢" * 100 not in str(huge["problem"])  # never echoed back
    status, refused = await preview(5)
    assert (status, refused["error"]) == (400, "请填写欢迎语内容")
    viewer = await sign_in("viewer1")
    status, _ = await viewer.post("api/welcome/preview", {"text": "你好"})
    assert status == 403


async def test_rotation_slots_and_the_channel_s_welcome(
    console_bot: TestServer,
    console_settings: Settings,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    store, _ = _stores(console_settings, redis)
    browser = await sign_in("admin1")
    weekend = {"users": "lisi", "weekdays": [6, 7], "start": "09:00", "end": "18:00"}
    form = {"name": "周末海报", "users": "zhangsan", "slots": [weekend]}
    status, saved = await browser.post("api/channels/save", form)
    assert status == 200 and not saved["refused"], saved
    [channel] = await store.list()
    assert [(s.users, s.weekdays, s.start) for s in channel.slots] == [(["lisi"], [6, 7], "09:00")]
    async with browser.http.get(f"{browser.base}channels") as page:
        text = await page.text()
    target = channel.state.replace(":", "%3A")
    assert "轮值时段 1 个" in text and f"welcomes/new?scope=channel&amp;target={target}" in text
    async with browser.http.get(
        f"{browser.base}welcomes/new", params={"scope": "channel", "target": channel.state}
    ) as page:
        assert f"&#34;target&#34;: &#34;{channel.state}&#34;" in await page.text()

    for slots, said in (
        ([weekend | {"users": ""}], "第 1 个时段没有员工"),
        ([weekend | {"start": "25:00"}], "第 1 个时段"),
        ([weekend | {"weekdays": ["六"]}], "第 1 个轮值时段格式不对"),
        ("every day", "轮值时段最多"),
    ):
        _, answer = await browser.post(
            "api/channels/save", form | {"id": channel.id, "slots": slots}
        )
        message = answer.get("error") or answer["reply"]
        assert said in message, (slots, answer)
    assert [s.users for s in (await store.get(channel.id)).slots] == [["lisi"]]  # type: ignore[union-attr]
