"""The console's store-code page: each campaign with its landing page and its stores' numbers,
and the store list imported from CSV — all or nothing, audited, and taken back by 撤销."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.store_codes.store import StoreCodeStore
from tests.console.conftest import SignIn
from tests.store_codes.conftest import Arranged, arranged  # noqa: F401  (the campaign fixture)


async def test_the_page_and_an_import_that_can_be_undone(
    console_bot: TestServer,
    console_settings: Settings,
    arranged: Arranged,  # noqa: F811
    sign_in: SignIn,
    redis: Redis,
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    store = StoreCodeStore(redis, keys)
    campaign = arranged.campaign.id
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}stores") as page:
        html = await page.text()
    assert f"{console_settings.public_url}/s/{campaign}" in html
    assert "春季&lt;门店&gt;海报" in html and "王府井店" in html and "静安寺店" in html

    bad = "name,city,address,lat,lng,code\n徐汇店,上海,漕溪北路,31.19,999,channel:x\n"
    status, answer = await browser.post("api/stores/import", {"id": campaign, "text": bad})
    assert status == 200 and answer["refused"] and "第 2 行：经度 999.0" in answer["reply"]
    assert len(await store.stores(campaign)) == 3  # nothing taken

    one = f"name,city,address,lat,lng,code\n徐汇店,上海,漕溪北路,31.19,121.43,channel:{arranged.shanghai.id}\n"
    status, answer = await browser.post("api/stores/import", {"id": campaign, "text": one})
    assert not answer["refused"] and "已导入" in answer["reply"]
    assert [s.name for s in await store.stores(campaign)] == ["徐汇店"]
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via) == ("stores.import", "console")
    _, undone = await browser.post("api/undo")
    assert "恢复为导入前（3 家）" in undone["reply"]
    assert len(await store.stores(campaign)) == 3

    status, answer = await browser.post("api/stores/import", {"id": "../x", "text": one})
    assert status == 400 and answer["error"] == "没有这个门店活码活动"
    status, answer = await browser.post("api/stores/import", {"id": campaign, "text": 5})
    assert status == 400
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}stores") as page:
        assert page.status == 403
