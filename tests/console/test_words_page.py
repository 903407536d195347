"""The console's sensitive-word page (the words feature's own): category actions, importing a
word file with the hygiene report, the intercept-rule sync, all audited and undoable."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.text.library import WordLibrary
from tests.console.conftest import SignIn

WORD_FILE = "词,分类\n甲品牌\n苹果\n枪\na,b,c\n乙品牌,辱骂\n"


async def test_actions_import_and_sync(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    library, audit = WordLibrary(redis, keys), AuditLog(redis, keys)
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}words") as page:
        text = await page.text()
    assert page.status == 200 and "竞品" in text and "企业微信事前拦截" in text

    status, changed = await browser.post(
        "api/words/action", {"category": "competitor", "action": "mask"}
    )
    assert status == 200 and "打码" in changed["reply"]
    assert (await library.snapshot()).actions["competitor"] == "mask"
    [entry] = await audit.latest(1)
    assert (entry.action, entry.via) == ("word.set-action", "console")
    status, undone = await browser.post("api/undo")
    assert "恢复为拦截（不发送）" in undone["reply"]
    assert (await library.snapshot()).actions.get("competitor", "block") == "block"
    status, bad = await browser.post(
        "api/words/action", {"category": "competitor", "action": "drop"}
    )
    assert (status, bad["error"]) == (400, "请选择分类和处理方式")

    body = {"name": "list.csv", "text": WORD_FILE, "category": "competitor", "keep_risky": False}
    status, report = await browser.post("api/words/import", body)
    assert status == 200 and report["reply"].startswith("新增 2 个")
    assert {line["line"]: line["reason"][:6] for line in report["lines"]} == {
        3: "有误伤风险：",  # 苹果: an everyday word
        4: "有误伤风险：",  # 枪: one character
        5: "列数过多：每",
    }
    assert await library.categories(["甲品牌", "乙品牌", "苹果", "枪"]) == {
        "甲品牌": "competitor",
        "乙品牌": "insult",
    }
    [entry] = await audit.latest(1)
    assert (entry.action, entry.summary) == ("word.import", "从「list.csv」导入敏感词 2 个")
    status, undone = await browser.post("api/undo")
    assert await library.categories(["甲品牌", "乙品牌"]) == {}

    status, kept = await browser.post("api/words/import", body | {"keep_risky": True})
    assert kept["reply"].startswith("新增 3 个") and "已保留 1 个" in kept["reply"]
    assert "苹果" in await library.categories(["苹果"]) and await library.categories(["枪"]) == {}

    status, synced = await browser.post("api/words/sync")
    assert status == 200 and not synced["refused"] and "已同步" in synced["reply"]


async def test_bad_imports_are_refused_in_chinese(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("admin1")
    status, answer = await browser.post("api/words/import", {"text": "", "category": "competitor"})
    assert status == 400 and "请选择一个词表文件" in answer["error"]
    huge = {"text": "词\n" * (2_200_000), "category": "competitor"}
    status, answer = await browser.post("api/words/import", huge)
    assert (status, answer["error"]) == (413, "请求内容过大（上限 4096 KB）")
    status, answer = await browser.post("api/words/import", {"text": "甲", "category": "nope"})
    assert status == 400 and "nope" in answer["error"]
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    assert await AuditLog(redis, keys).latest(1) == []
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}words") as page:
        assert page.status == 403
