"""SOP tasks in headless Chromium with the stub `ww`: the open task above the scripts in the
chat, sent with one tap; and the page the reminder card links to, outside any chat."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sop.rules import SopRule, SopStep
from bot.sop.tasks import SopTask, TaskStore
from tests.sidebar import test_browser
from tests.sidebar.conftest import CUSTOMER, OTHERS_CUSTOMER, Library
from tests.sidebar.test_browser import WIDTH, calls_to, open_sidebar
from tests.sidebar.test_sop_api import CARE_LINK, run_sop

chromium = test_browser.chromium  # the same headless Chromium fixture


async def care_tasks(
    bot: TestServer, settings: Settings, redis: Redis
) -> tuple[SopTask, SopTask, RedisKeys]:
    """(zhangsan's reminder about 王小明, lisi's about 赵小丽, the keys), made by the SOP flow."""
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    care = SopRule(
        "",
        "新客关怀",
        [SopStep(text="{{ customer_name }}，包包用得还顺手吗？", attachments=[CARE_LINK], hours=1)],
    )
    pending = await run_sop(
        bot, redis, keys, [care], [f"zhangsan|{CUSTOMER}", f"lisi|{OTHERS_CUSTOMER}"]
    )
    [mine], [theirs] = pending["zhangsan"], pending["lisi"]
    return mine, theirs, keys


async def test_the_open_task_is_sent_from_the_chat_and_marked_done(
    chromium: Any,
    sidebar_bot: TestServer,
    sidebar_settings: Settings,
    live_sandbox: Sandbox,
    library: Library,
    redis: Redis,
) -> None:
    task, _, keys = await care_tasks(sidebar_bot, sidebar_settings, redis)
    page = await open_sidebar(chromium, sidebar_settings, live_sandbox)
    item = page.locator(f'#sop:not([hidden]) .sop-item[data-id="{task.id}"]')
    await item.wait_for()
    shown = await item.inner_text()
    assert "新客关怀" in shown and "第 1 步" in shown and "链接" in shown
    assert "王先生（老客户），包包用得还顺手吗？" in shown
    await page.wait_for_selector("#library:not([hidden]) #script-list .script")  # both there
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    await item.get_by_role("button", name="发送").click()
    await item.wait_for(state="detached")
    assert await calls_to(page, "sendChatMessage") == [
        {"msgtype": "text", "text": {"content": "王先生（老客户），包包用得还顺手吗？"}},
        {
            "msgtype": "news",
            "news": {
                "link": "https://shop.example.com/care",
                "title": "保养指南",
                "desc": "三步让包包常新",
                "imgUrl": "https://shop.example.com/care.png",
            },
        },
    ]
    assert await page.is_hidden("#sop")
    await page.wait_for_selector("#toast:not([hidden])")
    assert "已发送：新客关怀" in await page.inner_text("#toast")
    stored = await TaskStore(redis, keys).get(task.id)
    assert stored is not None and stored.status == "done"
    assert page.errors == []


async def test_the_reminder_cards_page_shows_the_task(
    chromium: Any,
    sidebar_bot: TestServer,
    sidebar_settings: Settings,
    live_sandbox: Sandbox,
    library: Library,
    redis: Redis,
) -> None:
    task, lisis, keys = await care_tasks(sidebar_bot, sidebar_settings, redis)
    # opened from the card: not signed in yet, so OAuth first, and back to this task
    page = await open_sidebar(
        chromium, sidebar_settings, live_sandbox, entry="normal", path=f"sop/{task.id}"
    )
    view = page.locator("#task:not([hidden]) h1")
    await view.wait_for()
    assert page.url.split("?")[0] == f"{sidebar_settings.public_url}/sidebar/sop/{task.id}"
    assert await view.inner_text() == "SOP 提醒：新客关怀"
    shown = await page.inner_text("#task")
    assert "第 1 步" in shown and "王先生（老客户）" in shown and "链接" in shown
    assert "王先生（老客户），包包用得还顺手吗？" in shown and "待完成" in shown
    assert await page.is_hidden("#who") and await page.is_hidden("#library")
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    await page.get_by_role("button", name="打开聊天").click()
    await page.wait_for_function(
        "() => window.__wwCalls.some((call) => call.name === 'openEnterpriseChat')"
    )
    assert await calls_to(page, "openEnterpriseChat") == [
        {"externalUserIds": [CUSTOMER], "groupName": ""}
    ]
    assert await calls_to(page, "sendChatMessage") == []  # outside a chat nothing is sent

    await page.get_by_role("button", name="标记已完成").click()
    await page.locator("#task dd", has_text="已完成").wait_for()
    assert await page.locator("#task button").count() == 0
    stored = await TaskStore(redis, keys).get(task.id)
    assert stored is not None and stored.status == "done"

    # another member's task: refused, nothing shown
    await page.goto(f"{sidebar_settings.public_url}/sidebar/sop/{lisis.id}")
    refused = page.locator("#task.refused")
    await refused.wait_for()
    assert "这不是您的 SOP 任务" in await refused.inner_text()
    assert page.errors == []
