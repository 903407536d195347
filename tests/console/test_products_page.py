"""The console's product page (the scripts feature's own): link and mini-program cards with an
uploaded cover, checked as the CLI checks them, audited and undone by 撤销."""

from __future__ import annotations

import base64

from aiohttp.test_utils import TestServer

from bot.appkeys import HANDLER_CONTEXT
from tests.console.conftest import SignIn

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def test_cards_made_edited_undone_deleted(console_bot: TestServer, sign_in: SignIn) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.products
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}products") as page:
        assert "还没有商品" in await page.text()
    link = {"name": "尺码指南", "url": "https://shop.example.com/size", "description": "怎么选尺码"}
    status, saved = await browser.post("api/products/save", {"product": link})
    assert not saved["refused"], saved
    _, uploaded = await browser.post(
        "api/media/image", {"name": "bag.png", "data": base64.b64encode(PNG).decode()}
    )
    card = {
        "name": "托特包",
        "price": "199",
        "appid": "wx1234567890abcdef",
        "page": "pages/item?id=bag",
        "image_ref": uploaded["ref"],
    }
    status, saved = await browser.post("api/products/save", {"product": card})
    assert not saved["refused"], saved
    [bag] = [p for p in await store.list() if p.name == "托特包"]
    assert bag.is_miniprogram and bag.image_ref == uploaded["ref"]
    async with browser.http.get(f"{browser.base}products") as page:
        text = await page.text()
    assert "托特包 ¥199" in text and f"sidebar/media/{bag.image_ref}" in text

    status, saved = await browser.post(
        "api/products/save", {"product": card | {"id": bag.id, "price": "99"}}
    )
    assert (await store.get(bag.id)).price == "99"  # type: ignore[union-attr]
    status, undone = await browser.post("api/undo")
    assert (await store.get(bag.id)).price == "199"  # type: ignore[union-attr]
    status, deleted = await browser.post("api/products/delete", {"id": bag.id})
    assert status == 200 and not deleted["refused"] and await store.get(bag.id) is None
    status, undone = await browser.post("api/undo")
    assert status == 200 and "已恢复" in undone["reply"] and await store.get(bag.id) is not None


async def test_bad_products_are_refused(console_bot: TestServer, sign_in: SignIn) -> None:
    store = console_bot.app[HANDLER_CONTEXT].services.products
    browser = await sign_in("admin1")
    for product, said in (
        ({"name": "无处可去"}, "小程序（appid 和 page）或以 http(s):// 开头的链接"),
        ({"name": "负价", "price": "-1", "url": "https://a.example.com"}, "价格不能为负数"),
        ({"name": "怪价", "price": "abc", "url": "https://a.example.com"}, "不是数字"),
        ({"name": "无封面", "appid": "wx1", "page": "p"}, "封面图片"),
        ({"name": "", "url": "https://a.example.com"}, "商品需要名称"),
        ({"name": "x", "url": "javascript:alert(1)"}, "http(s)://"),
    ):
        status, answer = await browser.post("api/products/save", {"product": product})
        assert status == 200 and answer["refused"] and said in answer["reply"], (product, answer)
    assert await store.list() == []
