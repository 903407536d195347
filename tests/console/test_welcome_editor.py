"""The console's welcome editor (the welcome feature's own): templates with scope, texts,
time slots and attachments saved through the same checks as chat and the CLI, images uploaded
to the media library, audited and undone under the chat commands' change kind."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.config import Settings
from tests.console.conftest import SignIn

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TEMPLATE: dict[str, Any] = {
    "scope": "staff",
    "target": "zhangsan",
    "name": "张三的欢迎语",
    "text": "{{ customer_name }}您好，我是张三",
    "text_without_name": "您好，我是张三",
    "slots": [
        {
            "weekdays": [6, 7],
            "start": "",
            "end": "",
            "date_from": "",
            "date_to": "",
            "text": "周末好！我是张三",
            "text_without_name": "",
            "attachments": [],
        },
    ],
}


async def test_edit_with_slots_and_attachments_then_undo_and_delete(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.welcomes
    browser = await sign_in("admin1")
    status, uploaded = await browser.post(
        "api/media/image", {"name": "poster.png", "data": base64.b64encode(PNG).decode()}
    )
    assert status == 200 and not uploaded["refused"] and uploaded["ref"].startswith("image-")
    attachments = [
        {"msgtype": "image", "image": {"media_ref": uploaded["ref"]}},
        {"msgtype": "link", "link": {"title": "新品", "url": "https://shop.example.com/new"}},
    ]
    status, saved = await browser.post(
        "api/welcomes/save", {"template": TEMPLATE | {"attachments": attachments}}
    )
    assert not saved["refused"], saved
    template = await store.get(saved["id"])
    assert template is not None and template.slots[0].weekdays == [6, 7]
    assert [a["msgtype"] for a in template.attachments] == ["image", "link"]
    async with browser.http.get(f"{browser.base}welcomes") as page:
        text = await page.text()
    assert "张三的欢迎语" in text and "员工 zhangsan" in text
    async with browser.http.get(f"{browser.base}welcomes/{template.id}") as page:
        assert page.status == 200 and "张三的欢迎语" in await page.text()

    changed = TEMPLATE | {"id": template.id, "text": "{{ customer_name }}您好！", "attachments": []}
    status, saved = await browser.post("api/welcomes/save", {"template": changed})
    assert not saved["refused"] and (await store.get(template.id)).attachments == []  # type: ignore[union-attr]
    status, undone = await browser.post("api/undo")
    assert "改回" in undone["reply"]
    assert len((await store.get(template.id)).attachments) == 2  # type: ignore[union-attr]

    status, deleted = await browser.post("api/welcomes/delete", {"id": template.id})
    assert not deleted["refused"] and await store.get(template.id) is None
    status, undone = await browser.post("api/undo")
    assert (await store.get(template.id)) is not None


async def test_bad_welcomes_and_uploads_are_refused(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn
) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.welcomes
    before = len(await store.list())
    browser = await sign_in("admin1")

    async def refused(template: dict[str, Any]) -> str:
        status, answer = await browser.post("api/welcomes/save", {"template": template})
        assert status == 200 and answer["refused"], answer
        return str(answer["reply"])

    assert "4000" in (await refused(TEMPLATE | {"text": "欢" * 1400})).replace(",", "")
    assert "不含姓名的版本" in await refused(TEMPLATE | {"text_without_name": ""})
    nine = [{"msgtype": "link", "link": {"title": "x", "url": "https://a.example.com"}}] * 10
    assert "最多 9 个" in await refused(TEMPLATE | {"attachments": nine})
    slot = TEMPLATE["slots"][0] | {"weekdays": [8]}
    assert "第 1 个时段" in await refused(TEMPLATE | {"slots": [slot]})
    assert "scope" in await refused(TEMPLATE | {"scope": 5})
    await browser.post("api/welcomes/save", {"template": TEMPLATE})
    assert "已有欢迎语" in await refused(TEMPLATE | {"name": "另一条"})  # one per scope
    assert len(await store.list()) == before + 1
    status, bad = await browser.post("api/media/image", {"name": "x.png", "data": "not base64!"})
    assert (status, bad["error"]) == (400, "图片内容无法读取，请重新选择")
    status, bad = await browser.post(
        "api/media/image",
        {"name": "x.gif", "data": base64.b64encode(b"GIF89a" + b"\0" * 32).decode()},
    )
    assert bad["refused"] and "JPG 或 PNG" in bad["reply"]
