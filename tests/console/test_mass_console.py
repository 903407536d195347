"""The console's mass-send page: a form previews whom a task reaches per member (by name) and who
is left out, or saves it (audited; 撤销 cancels it while not made); the list shows progress and a
task's page its WeCom tasks, per-member results and the command buttons (cancel confirmed)."""

from __future__ import annotations

import time
from dataclasses import replace

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.mass.model import Audience, MassTask
from bot.mass.store import MassStore
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from tests.console.conftest import SignIn

FORM = {
    "name": "老客回购",
    "text": "{{ staff_name }}提醒您：会员日全场 8 折",
    "chat_type": "single",
    "mode": "unified",
    "skip_recent": "none",
    "not_before": "",
    "tags_all": "老客",
    "tags_any": "",
    "segments": "",
    "channels": "",
    "added_within_days": "",
    "staff": "",
    "departments": "",
    "group_name": "",
    "products": "",
    "group_code": "",
}


async def test_preview_save_undo_and_a_task_page(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    profiles = ProfileStore(redis, keys)
    now = int(time.time())
    for n in range(4):
        eid = f"wmcon{n}"
        live_sandbox.state.follows[("zhangsan", eid)] = FollowUser("zhangsan", eid, now - 60)
        tags = [{"tag_id": "etOld", "group_name": "客户", "tag_name": "老客"}] if n < 3 else []
        follow = {"userid": "zhangsan", "createtime": now - 60, "tags": tags}
        await profiles.record_contact(
            {"external_contact": {"external_userid": eid}, "follow_user": [follow]}, now
        )
    browser = await sign_in("admin1")
    _, seen = await browser.post("api/mass/create", FORM | {"preview": True})
    assert seen["stay"] and not seen["refused"], seen
    assert seen["reply"].splitlines()[:2] == ["共 3 个接收对象", "· 张三：3"]
    assert await MassStore(redis, keys).all() == []  # a preview saves nothing

    _, bad = await browser.post("api/mass/create", FORM | {"text": "", "preview": False})
    assert bad["refused"] and "群发内容和附件不能都为空" in bad["reply"]
    _, saved = await browser.post("api/mass/create", FORM | {"preview": False})
    assert "已保存群发「老客回购」" in saved["reply"], saved
    [task] = await MassStore(redis, keys).all()
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("mass.create", "console")
    _, undone = await browser.post("api/undo")
    assert "已取消，不会创建" in undone["reply"]
    assert (await MassStore(redis, keys).get(task.id)).status == "cancelled"  # type: ignore[union-attr]

    _, again = await browser.post("api/mass/create", FORM | {"preview": False})
    task_id = again["reply"].split("编号 ")[1][:6]
    async with browser.http.get(f"{browser.base}mass") as page:
        html = await page.text()
    assert "老客回购" in html and "待创建" in html and "已取消" in html
    async with browser.http.get(f"{browser.base}mass/{task_id}") as page:
        html = await page.text()
    assert "提醒您：会员日全场 8 折" in html and 'data-key="mass.cancel"' in html
    asked = await browser.run("mass.cancel", id=task_id)
    assert asked["code"] and "将取消群发" in asked["reply"]
    async with browser.http.get(f"{browser.base}mass/abcdef") as missing:
        assert missing.status == 404


async def test_the_list_shows_the_newest_50(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    store = MassStore(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))
    for n in range(51):
        task = MassTask("", f"历史任务{n:02d}", "文字", audience=Audience(tags_any=("老客",)))
        await store.add(replace(task, created_at=1_700_000_000 + n))
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}mass") as page:
        html = await page.text()
    assert "历史任务50" in html and "历史任务01" in html and "历史任务00" not in html
    assert "只列出最新的 50 个（共 51 个）" in html
