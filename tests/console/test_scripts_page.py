"""The console's script-library page (the scripts feature's own): the category tree, search
over every script, one script with its history and restore, file export and import."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.appkeys import HANDLER_CONTEXT
from bot.config import Settings
from bot.keys import RedisKeys
from tests.console.conftest import SignIn


async def test_tree_search_history_restore_export_import(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.scripts
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}scripts") as page:
        assert "话术库是空的" in await page.text()
    added = await browser.run(
        "script.add", category="售后/退货", title="退货流程", text="七天无理由退货"
    )
    assert not added["refused"], added
    await browser.run("script.add", category="售前/新品", title="新品介绍", text="本周上新帆布包")
    [script] = [s for s in await store.all() if s.title == "退货流程"]

    async with browser.http.get(f"{browser.base}scripts") as page:
        text = await page.text()
    assert "售后（1）" in text and "退货（1）" in text and "售前（1）" in text
    async with browser.http.get(f"{browser.base}scripts", params={"q": "帆布包"}) as page:
        text = await page.text()
    assert "新品介绍" in text and "退货流程" not in text
    async with browser.http.get(f"{browser.base}scripts", params={"category": "售后"}) as page:
        text = await page.text()
    assert "退货流程" in text and "新品介绍" not in text

    edited = await browser.run("script.edit", id=script.id, field="内容", value="十五天无理由退货")
    assert not edited["refused"], edited
    async with browser.http.get(f"{browser.base}scripts/{script.id}") as page:
        text = await page.text()
    assert "十五天无理由退货" in text and "第 1 版" in text and "王管理" in text
    restored = await browser.run("script.restore", id=script.id, version="1")
    assert not restored["refused"], restored
    assert (await store.get(script.id)).text == "七天无理由退货"  # type: ignore[union-attr]

    async with browser.http.get(f"{browser.base}scripts/export", params={"format": "csv"}) as file:
        exported = await file.text()
    assert file.headers["Content-Disposition"].endswith('filename="scripts.csv"')
    assert "退货流程" in exported and "新品介绍" in exported

    bad = "category,title,text\n售后/换货,换货流程,换货请联系客服\n,没有分类,内容\n"
    status, refused = await browser.post("api/scripts/import", {"name": "s.csv", "text": bad})
    assert status == 200 and refused["refused"] and "第 3 行" in refused["reply"]
    assert len(await store.all()) == 2  # nothing imported when a row is wrong
    good = "category,title,text\n售后/换货,换货流程,换货请联系客服\n"
    status, done = await browser.post("api/scripts/import", {"name": "s.csv", "text": good})
    assert not done["refused"] and "新建 1 条" in done["reply"]
    assert len(await store.all()) == 3
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("script.import", "console")
    status, refused = await browser.post("api/scripts/import", {"name": "s.txt", "text": "x"})
    assert refused["refused"] and "只支持" in refused["reply"]
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}scripts") as page:
        assert page.status == 403


async def test_a_script_s_text_is_previewed_with_the_script_s_variables(
    console_bot: TestServer, sign_in: SignIn
) -> None:
    browser = await sign_in("admin1")
    status, shown = await browser.post(
        "api/scripts/preview", {"text": "{{ customer_name }}您好，我是{{ staff_name }}"}
    )
    assert status == 200 and shown["bubble"] == "王小明您好，我是王管理" and shown["problem"] == ""
    _, wrong = await browser.post("api/scripts/preview", {"text": "来自{{ channel_name }}"})
    assert "channel_name" in wrong["problem"]  # a welcome's variable, not a script's
    async with browser.http.get(f"{browser.base}f/script") as page:
        assert 'data-preview="api/scripts/preview"' in await page.text()
