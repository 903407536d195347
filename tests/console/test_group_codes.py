"""The console's group live code page (the group_codes feature's own, through its record):
create, edit and delete through WeCom's join ways, the QR code shown and downloaded, each
group's fill with the one WeCom created, joins and retention; bad input refused in Chinese
with nothing stored; every change audited and taken back by 撤销; admin chat's quick look."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.group_codes.codes import GroupCode
from bot.group_codes.stats import GroupCodeStats
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sandbox.scenarios import QR_GROUP_LIMIT
from bot.wecom import WeComClient
from tests.console.conftest import SignIn
from tests.pipeline_support import wait_until


def _parts(settings: Settings, redis: Redis) -> tuple[RedisKeys, AuditLog]:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    return keys, AuditLog(redis, keys)


async def _groups(sandbox: Sandbox) -> list[str]:
    chats = [f"wrShopGroup{n:07d}" for n in range(2)]
    for n, chat in enumerate(chats, 1):
        await sandbox.group_created("lisi", chat, ["zhangsan"], name=f"门店福利群{n}")
    return chats


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_create_fill_rollover_stats_edit_undo_delete(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys, audit = _parts(console_settings, redis)
    chats = await _groups(live_sandbox)
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}group-codes") as page:
        html = await page.text()
    assert "还没有群活码" in html and "<title>群活码 · 管理后台</title>" in html
    assert "引导入群漏斗" in html
    form = {"name": "门店群码", "chats": " ".join(chats), "room_base_name": "门店福利群"}
    status, refused = await browser.post("api/group-codes/save", form | {"room_base_id": "²"})
    assert status == 400 and "起始编号应是正整数" in str(refused)  # a digit to isdigit only
    status, saved = await browser.post("api/group-codes/save", form | {"room_base_id": "3"})
    assert status == 200 and not saved["refused"], saved
    [code] = await GroupCodeStore(redis, keys, sandbox_wecom.group_join).list()
    way = live_sandbox.state.join_ways[code.config_id]  # a real join way, with our state
    assert (way.chat_id_list, way.state, way.room_base_id) == (chats, f"gc:{code.id}", 3)
    [entry] = await audit.latest(1)
    assert (entry.action, entry.via) == ("group-code.create", "console")

    # both groups fill up; the next scan lands in the group WeCom creates
    for chat in chats:
        group = live_sandbox.state.groups[chat]
        group.members += [
            f"wmFill{chat[-2:]}{n:04d}" for n in range(QR_GROUP_LIMIT - len(group.members))
        ]
    callback = str(console_bot.make_url("/wecom/callback"))
    live_sandbox.connect_bot(callback, console_settings.token, console_settings.aes_key)
    made = await live_sandbox.customer_joins_via_code(code.config_id, "wmLate")
    stats = GroupCodeStats(redis, keys)
    await wait_until(lambda: _joined(stats, code.id))
    async with browser.http.get(f"{browser.base}group-codes") as page:
        text = _text(await page.text())
    assert (
        "门店福利群1 200 / 200 已满" in text and "门店福利群3 （自动新建） 2 / 200" in text
    )  # owner and joiner
    assert "其中 1 个由企业微信自动新建" in text
    assert "近 7 天 1 0 1 100%" in text  # joins, leaves, net, retention
    assert made.chat_id not in chats
    async with browser.http.get(f"{browser.base}group-codes/{code.id}/qr.png") as image:
        assert image.content_type == "image/png"
        assert (await image.read()).startswith(b"\x89PNG\r\n\x1a\n")
    async with browser.http.get(
        f"{browser.base}group-codes/{code.id}/qr.png", params={"download": "1"}
    ) as image:
        assert f'filename="group-code-{code.id}.png"' in image.headers["Content-Disposition"]

    # admin chat's quick look says the same
    reply = (await browser.run("groupcode.show", id=code.id))["reply"]
    assert "门店福利群3（自动新建）：2/200" in reply and "近 7 天：入群 1" in reply

    # edit, then 撤销 puts it back (in WeCom too)
    edit = form | {"id": code.id, "name": "春季群码", "auto_create": False, "chats": chats[0]}
    status, saved = await browser.post("api/group-codes/save", edit)
    assert not saved["refused"] and (way.chat_id_list, way.auto_create_room) == ([chats[0]], 0)
    async with browser.http.get(f"{browser.base}group-codes") as page:
        assert "所有群都已满" in await page.text()  # full, and no group will be made
    _, undone = await browser.post("api/undo")
    assert "恢复为修改前" in undone["reply"]
    assert (way.chat_id_list, way.auto_create_room, way.remark) == (chats, 1, "门店群码")

    status, deleted = await browser.post("api/group-codes/delete", {"id": code.id})
    assert not deleted["refused"] and code.config_id not in live_sandbox.state.join_ways
    _, undone = await browser.post("api/undo")
    assert "恢复了群活码「门店群码」" in undone["reply"]
    [revived] = await GroupCodeStore(redis, keys, sandbox_wecom.group_join).list()
    assert revived.id == code.id and revived.config_id != code.config_id
    assert live_sandbox.state.join_ways[revived.config_id].state == f"gc:{code.id}"


async def _joined(stats: GroupCodeStats, code_id: str) -> bool:
    return bool(await stats.chats(code_id))


async def test_bad_codes_are_refused_in_chinese_and_nothing_is_stored(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys, audit = _parts(console_settings, redis)
    chats = await _groups(live_sandbox)
    browser = await sign_in("admin1")
    base = {"name": "群码", "chats": " ".join(chats), "room_base_name": "群"}
    six = " ".join(f"wrX{n}" for n in range(6))
    for form, said in (
        (base | {"chats": six}, "最多 5 个客户群"),
        (base | {"chats": ""}, "至少需要一个客户群"),
        (base | {"name": "名" * 31}, "群活码名称"),
        (base | {"room_base_name": ""}, "新群名称前缀"),
        (base | {"chats": "wrNoSuchGroup"}, "40050"),  # WeCom refuses the group
    ):
        status, answer = await browser.post("api/group-codes/save", form)
        assert status == 200 and answer["refused"] and said in answer["reply"], (form, answer)
    for form, error in (
        (base | {"chats": "<script>"}, "不是有效的客户群 ID"),
        (base | {"room_base_id": "-1"}, "新群的起始编号应是正整数"),
        (base | {"name": 5}, "「名称」应为"),
        (base | {"id": "../x"}, "没有这个群活码"),
    ):
        status, answer = await browser.post("api/group-codes/save", form)
        assert status == 400 and error in answer["error"], (form, answer)
    assert live_sandbox.state.join_ways == {} or all(
        not w.state.startswith("gc:") for w in live_sandbox.state.join_ways.values()
    )
    assert await GroupCodeStore(redis, keys, sandbox_wecom.group_join).list() == []
    assert await audit.latest(3) == []
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}group-codes") as page:
        assert page.status == 403


async def test_admin_chat_lists_codes(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys, _ = _parts(console_settings, redis)
    browser = await sign_in("admin1")
    assert "还没有群活码" in (await browser.run("groupcode.list"))["reply"]
    chats = await _groups(live_sandbox)
    store = GroupCodeStore(redis, keys, sandbox_wecom.group_join)
    code = await store.create(GroupCode("", "门店群码", chats, room_base_name="群"))
    listed = (await browser.run("groupcode.list"))["reply"]
    assert f"{code.id} · 门店群码 · 2 个群，满后自动建群" in listed
    assert "没有编号为" in (await browser.run("groupcode.show", id="zzzzzz"))["reply"]
