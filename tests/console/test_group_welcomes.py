"""The console's group-welcome page: templates made in WeCom first, checked as the CLI checks
them, audited and undone by 撤销."""

from __future__ import annotations

from aiohttp.test_utils import TestServer

from bot.appkeys import HANDLER_CONTEXT
from bot.sandbox import Sandbox
from tests.console.conftest import SignIn

LINK = {"msgtype": "link", "link": {"title": "入群福利", "url": "https://shop.example.com/gift"}}


async def test_create_edit_undo_delete_in_wecom_and_here(
    console_bot: TestServer, live_sandbox: Sandbox, sign_in: SignIn
) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.group_welcomes
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}group-welcomes") as page:
        assert "还没有入群欢迎语" in await page.text()
    welcome = {"name": "新群欢迎", "text": "欢迎 %NICKNAME% 入群！", "attachment": LINK}
    status, saved = await browser.post("api/group-welcomes/save", {"welcome": welcome})
    assert status == 200 and not saved["refused"], saved
    [stored] = await store.list()
    assert stored.template_id and stored.attachment == LINK
    async with browser.http.get(f"{browser.base}group-welcomes") as page:
        assert "新群欢迎" in await page.text()

    edited = welcome | {"id": stored.id, "text": "欢迎 %NICKNAME%！", "attachment": None}
    status, saved = await browser.post("api/group-welcomes/save", {"welcome": edited})
    assert not saved["refused"] and (await store.get(stored.id)).attachment is None  # type: ignore[union-attr]
    status, undone = await browser.post("api/undo")
    assert "已恢复" in undone["reply"]
    assert (await store.get(stored.id)).attachment == LINK  # type: ignore[union-attr]

    status, deleted = await browser.post("api/group-welcomes/delete", {"id": stored.id})
    assert not deleted["refused"] and await store.list() == []
    status, undone = await browser.post("api/undo")
    [revived] = await store.list()
    assert revived.name == "新群欢迎" and revived.template_id != stored.template_id


async def test_bad_group_welcomes_are_refused(console_bot: TestServer, sign_in: SignIn) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.group_welcomes
    browser = await sign_in("admin1")
    for welcome, said in (
        ({"name": "x", "text": "{{ customer_name }}你好"}, "%NICKNAME%"),
        ({"name": "x", "text": "你好 %NAME%"}, "不认识的占位符"),
        ({"name": "x", "text": ""}, "不能都为空"),
        ({"name": "", "text": "你好"}, "需要一个名称"),
        ({"name": "x", "text": "你" * 1001}, "3000 字节"),
        ({"name": 5, "text": "你好"}, "name"),
    ):
        status, answer = await browser.post("api/group-welcomes/save", {"welcome": welcome})
        assert status == 200 and answer["refused"] and said in answer["reply"], (welcome, answer)
    assert await store.list() == []
