"""The console's 会话存档 page (admins only): recent conversations by name, one conversation
with a sensitive word marked in context, a search of archived text; an archived message past
the retention setting is swept; members get no page."""

from __future__ import annotations

import time

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.archive.runtime import sweep
from bot.archive.store import ArchiveStore
from bot.config import Settings
from bot.events import ChatText
from bot.keys import RedisKeys
from tests.console.conftest import SignIn
from tests.pipeline_support import wait_until


def _text(n: int, text: str, at: int, sender: str = "customer") -> ChatText:
    return ChatText(
        msgid=f"a{n}", source="archive", sender=sender, external_userid="wmArc1",
        staff_userid="zhangsan", text=text, sent_at=at, create_time=at,
    )  # fmt: skip


async def test_read_search_and_retention(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    store = ArchiveStore(redis, keys)
    now = int(time.time())
    await store.keep(_text(1, "请问这款面霜还有货吗", now - 60))
    await store.keep(_text(2, "有的，这是全网第一的爆款", now - 30, "staff"))
    await store.keep(_text(3, "去年的旧消息", now - 400 * 86400))
    browser = await sign_in("admin1")

    async def words_loaded() -> bool:
        return bool(console_bot.app[HANDLER_CONTEXT].text.scan("全网第一"))

    await wait_until(words_loaded)
    async with browser.http.get(f"{browser.base}archive") as page:
        html = await page.text()
    assert "张三（zhangsan） ↔" in html
    async with browser.http.get(
        f"{browser.base}archive", params={"conv": "zhangsan|wmArc1"}
    ) as page:
        html = await page.text()
    assert "请问这款面霜还有货吗" in html and "敏感词：全网第一" in html
    async with browser.http.get(f"{browser.base}archive", params={"q": "面霜"}) as page:
        html = await page.text()
    assert "「面霜」的搜索结果" in html and "还有货吗" in html
    async with browser.http.get(f"{browser.base}archive", params={"conv": "../../etc"}) as page:
        assert page.status == 200 and "请问" not in await page.text()

    ctx = console_bot.app[HANDLER_CONTEXT]
    assert await sweep(ctx) == 1  # 400 days old: past the 180 kept
    assert [m.msgid for m in await store.messages("zhangsan|wmArc1")] == ["a1", "a2"]

    member = await sign_in("member1")
    async with member.http.get(f"{member.base}archive") as page:
        assert "请问" not in await page.text()
