"""The console's moments page: an image uploaded from the form, a task created and made in
WeCom at once (audited), its members' progress listed, reminded and cancelled; bad input refused
in Chinese."""

from __future__ import annotations

import base64
import io

from aiohttp.test_utils import TestServer
from PIL import Image
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.appkeys import HANDLER_CONTEXT
from bot.config import Settings
from bot.keys import RedisKeys
from bot.moments.runner import refresh
from bot.sandbox import Sandbox
from bot.sandbox.routes_moments import CREATE_SECONDS
from tests.console.conftest import SignIn


def _png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "#def").save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_create_list_remind_cancel(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    browser = await sign_in("admin1")
    _, image = await browser.post("api/media/image", {"name": "a.png", "data": _png()})
    form = {"name": "冬季上新", "text": "冬季新品到店", "images": image["ref"], "staff": "zhangsan"}
    _, bad = await browser.post("api/moments/create", form | {"staff": ""})
    assert bad["refused"] and "需要发表的员工或部门" in bad["reply"]
    _, made = await browser.post("api/moments/create", form)
    assert not made["refused"] and "已新建朋友圈任务「冬季上新」" in made["reply"], made
    [moment] = live_sandbox.state.moments.values()
    assert moment.attachments[0]["msgtype"] == "image" and moment.senders == ["zhangsan"]
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("moments.create", "console")
    async with browser.http.get(f"{browser.base}moments") as page:
        html = await page.text()
    assert "冬季上新" in html and "待员工发表" in html
    task_id = made["reply"].split("编号 ")[1][:6]
    _, early = await browser.post("api/moments/act", {"id": task_id, "action": "remind"})
    assert early["refused"] and "只有待员工发表" in early["reply"]  # the job isn't done yet
    status, _ = await browser.post("api/moments/act", {"id": task_id, "action": "delete"})
    assert status == 400
    live_sandbox.advance(CREATE_SECONDS)
    ctx = console_bot.app[HANDLER_CONTEXT]
    task = await ctx.services.moments.get(task_id)
    await refresh(ctx, task)
    _, reminded = await browser.post("api/moments/act", {"id": task_id, "action": "remind"})
    assert "已提醒 1 位" in reminded["reply"], reminded
    _, cancelled = await browser.post("api/moments/act", {"id": task_id, "action": "cancel"})
    assert "已取消朋友圈任务" in cancelled["reply"] and moment.cancelled
    assert (await AuditLog(redis, keys).latest(1))[0].action == "moments.cancel"
