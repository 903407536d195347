"""The sidebar's SOP task API over real HTTP: tasks made by the SOP flow itself (a rule saved,
its trigger fired, the job runner run once the step is due), listed, read and marked done."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.sop.batches import BATCH_SECONDS, CLOSE_AFTER
from bot.sop.rules import Schedule, SopRule, SopStep
from bot.sop.runner import job_runner
from bot.sop.store import SopStore
from bot.sop.tasks import SopTask, TaskStore
from bot.sop.triggers import SopTriggers
from bot.stats.report import read_stats
from sidebar_web.common import NOT_YOUR_CUSTOMER
from tests.sidebar.conftest import CUSTOMER, OTHERS_CUSTOMER, Browser, Library

CARE_LINK = {
    "msgtype": "link",
    "link": {
        "url": "https://shop.example.com/care",
        "title": "保养指南",
        "desc": "三步让包包常新",
        "picurl": "https://shop.example.com/care.png",
    },
}


@dataclass
class Tasks:
    """The open tasks the SOP flow produced for the test."""

    care: SopTask  # zhangsan → 王小明: a reminder with text and a link
    lisi: SopTask  # lisi → 赵小丽


@pytest.fixture
def keys(sidebar_settings: Settings) -> RedisKeys:
    return RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)


async def run_sop(
    bot: TestServer, redis: Redis, keys: RedisKeys, rules: list[SopRule], added: list[str]
) -> dict[str, list[SopTask]]:
    """Save `rules`, fire "added" for each (staff, customer) in `added` two hours ago, run the
    steps due by now, and return each staff member's open tasks."""
    ctx: HandlerContext = bot.app[HANDLER_CONTEXT]
    for rule in rules:
        await SopStore(redis, keys).save(rule, "admin1", None)
    triggers = SopTriggers.of(ctx)
    start = time.time() - 2 * 3600
    pairs = [pair.split("|") for pair in added]
    for staff, customer in pairs:
        # what the pipeline would have stored: the customer's name and the member's remark
        record = await ctx.wecom.external_contact.get(customer)
        await ProfileStore(redis, keys).record_contact(record, int(start))
        await triggers.fire("added", staff, customer, start)
    await job_runner(ctx).run_due(time.time())
    return {staff: await TaskStore(redis, keys).pending(staff) for staff, _ in pairs}


@pytest.fixture
async def tasks(sidebar_bot: TestServer, redis: Redis, keys: RedisKeys, library: Library) -> Tasks:
    care = SopRule(
        "",
        "新客关怀",
        [SopStep(text="{{ customer_name }}，包包用得还顺手吗？", attachments=[CARE_LINK], hours=1)],
        staff=["zhangsan"],
    )
    lisi = SopRule("", "李四的回访", [SopStep(text="回访一下", hours=1)], staff=["lisi"])
    pending = await run_sop(
        sidebar_bot, redis, keys, [care, lisi], [f"zhangsan|{CUSTOMER}", f"lisi|{OTHERS_CUSTOMER}"]
    )
    [mine], [theirs] = pending["zhangsan"], pending["lisi"]
    return Tasks(mine, theirs)


async def completed_count(redis: Redis, keys: RedisKeys) -> int:
    # two days: a test run just after midnight still finds the count
    return sum(row.sop_completed or 0 for row in await read_stats(redis, keys, 2))


async def test_list_get_and_mark_done_once(
    browser: Browser, tasks: Tasks, redis: Redis, keys: RedisKeys
) -> None:
    await browser.sign_in("zhangsan")
    status, body = await browser.get("api/sop/tasks", external_userid=CUSTOMER)
    assert status == 200, body
    [task] = body["tasks"]
    assert task["id"] == tasks.care.id
    assert (task["rule_name"], task["step"], task["delivery"]) == ("新客关怀", 1, "reminder")
    assert (task["target"], task["target_name"]) == (CUSTOMER, "王先生（老客户）")
    assert task["text"] == "王先生（老客户），包包用得还顺手吗？"
    assert task["attachments"] == ["链接"] and task["status"] == "sent"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", task["sent_at"])  # corp time
    assert task["messages"] == [
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
    # all open tasks, and the one on its own, say the same
    assert (await browser.get("api/sop/tasks"))[1]["tasks"] == [task]
    assert await browser.get(f"api/sop/tasks/{task['id']}") == (200, task)

    status, done = await browser.post(f"api/sop/tasks/{task['id']}/done")
    assert status == 200 and done["status"] == "done" and done["messages"] == []
    stored = await TaskStore(redis, keys).get(task["id"])
    assert stored is not None and stored.status == "done" and stored.done_at > 0
    assert await browser.get("api/sop/tasks", external_userid=CUSTOMER) == (200, {"tasks": []})
    assert await completed_count(redis, keys) == 1

    # a second tap (a retry, another device) is fine and counts nothing
    status, again = await browser.post(f"api/sop/tasks/{task['id']}/done")
    assert (status, again["status"]) == (200, "done")
    assert await completed_count(redis, keys) == 1
    assert (await TaskStore(redis, keys).get(task["id"])) == stored


async def test_another_members_task_and_customer_are_refused(
    browser: Browser, tasks: Tasks, redis: Redis, keys: RedisKeys
) -> None:
    await browser.sign_in("zhangsan")
    status, body = await browser.get(f"api/sop/tasks/{tasks.lisi.id}")
    assert (status, body["error"]) == (403, "这不是您的 SOP 任务，无法查看或操作")
    status, body = await browser.post(f"api/sop/tasks/{tasks.lisi.id}/done")
    assert status == 403
    status, body = await browser.get("api/sop/tasks", external_userid=OTHERS_CUSTOMER)
    assert (status, body["error"]) == (403, NOT_YOUR_CUSTOMER)
    # zhangsan's own list never shows lisi's task
    assert [t["id"] for t in (await browser.get("api/sop/tasks"))[1]["tasks"]] == [tasks.care.id]
    stored = await TaskStore(redis, keys).get(tasks.lisi.id)
    assert stored is not None and stored.status == "sent"
    assert await completed_count(redis, keys) == 0


async def test_done_needs_the_csrf_token_and_a_known_task(
    browser: Browser, tasks: Tasks, redis: Redis, keys: RedisKeys
) -> None:
    await browser.sign_in("zhangsan")
    status, body = await browser.post(f"api/sop/tasks/{tasks.care.id}/done", csrf="")
    assert (status, body["error"]) == (403, "请求校验失败，请刷新页面后重试")
    status, _ = await browser.post(
        f"api/sop/tasks/{tasks.care.id}/done", Origin="https://evil.example.com"
    )
    assert status == 403
    stored = await TaskStore(redis, keys).get(tasks.care.id)
    assert stored is not None and stored.status == "sent"
    for unknown in ("0123456789abcdef0123", "not-a-task"):
        status, body = await browser.get(f"api/sop/tasks/{unknown}")
        assert (status, body["error"]) == (404, "SOP 任务不存在或已过期")
    assert (await browser.post("api/sop/tasks/0123456789abcdef0123/done"))[0] == 404


async def test_group_mass_and_calendar_tasks(
    browser: Browser,
    sidebar_bot: TestServer,
    live_sandbox: Sandbox,
    library: Library,
    redis: Redis,
    keys: RedisKeys,
) -> None:
    """A group SOP's 群发 task is listed for its group with nothing to send from the sidebar;
    a calendar SOP for all of a member's customers shows in every customer's chat."""
    own_group = "wrZhangGroup00001"
    await live_sandbox.group_created("zhangsan", own_group, [CUSTOMER], name="张三的群")
    ctx: HandlerContext = sidebar_bot.app[HANDLER_CONTEXT]
    store = SopStore(redis, keys)
    weekly = Schedule(time="09:10")  # every day
    await store.save(
        SopRule(
            "",
            "群周报",
            [SopStep(text="本周新品已上架", delivery="mass")],
            kind="group",
            trigger="schedule",
            schedule=weekly,
            groups=[own_group],
        ),
        "admin1",
        None,
    )
    await store.save(
        SopRule(
            "",
            "每日问候",
            [SopStep(text="早上好，今天有新品到店")],
            trigger="schedule",
            schedule=weekly,
            staff=["zhangsan"],
        ),
        "admin1",
        None,
    )
    fires = [float(at) for _, at in await redis.zrange(keys.jobs_due, 0, -1, withscores=True)]
    runner = job_runner(ctx)
    await runner.run_due(max(fires))  # the occurrences expand into their first steps…
    await runner.run_due(max(fires) + 600)  # …which then go out (the 群发 joins its batch…
    await runner.run_due(max(fires) + 600 + BATCH_SECONDS + CLOSE_AFTER)  # …made a minute on)
    await browser.sign_in("zhangsan")

    status, body = await browser.get("api/sop/tasks", chat_id=own_group)
    assert status == 200, body
    [mass] = body["tasks"]
    assert (mass["rule_name"], mass["kind"], mass["delivery"]) == ("群周报", "group", "mass")
    assert mass["target"] == own_group and mass["messages"] == []
    status, body = await browser.get("api/sop/tasks", external_userid=CUSTOMER)
    assert [(t["rule_name"], t["target"]) for t in body["tasks"]] == [("每日问候", "*")]
    assert body["tasks"][0]["messages"] == [
        {"msgtype": "text", "text": {"content": "早上好，今天有新品到店"}}
    ]
    # the shared group is lisi's: its task is hers, and zhangsan sees none there
    assert await browser.get("api/sop/tasks", chat_id="wrSharedGroup0001") == (200, {"tasks": []})
    status, done = await browser.post(f"api/sop/tasks/{mass['id']}/done")
    assert (status, done["status"]) == (200, "done")
    assert await browser.get("api/sop/tasks", chat_id=own_group) == (200, {"tasks": []})


async def test_signing_in_from_the_cards_link_returns_to_the_task(
    browser: Browser, tasks: Tasks, live_sandbox: Sandbox
) -> None:
    async def callback_for(http: aiohttp.ClientSession, page: str) -> str:
        """The callback URL WeCom's authorize page sends the browser to, from `page`."""
        async with http.get(page, allow_redirects=False) as first:
            assert first.status == 302
            authorize = first.headers["Location"]
        async with http.get(authorize, allow_redirects=False) as sandbox_page:
            return sandbox_page.headers["Location"]

    live_sandbox.sign_in("zhangsan")
    page = f"{browser.base}/sidebar/sop/{tasks.care.id}"
    callback = await callback_for(browser.http, page)
    assert f"/sidebar/auth/callback?back=sop/{tasks.care.id}&code=" in callback
    async with browser.http.get(callback, allow_redirects=False) as answer:
        assert answer.headers["Location"].startswith(f"/sidebar/sop/{tasks.care.id}?signed_in=")
    async with browser.http.get(page) as shown:
        assert shown.status == 200
        html = await shown.text()
    assert f'"task": "{tasks.care.id}"' in html and 'src="../static/sop.js' in html

    # a callback link edited to go elsewhere lands on the sidebar itself
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        callback = await callback_for(other, page)
        edited = callback.replace(f"back=sop/{tasks.care.id}", "back=//evil.example.com/x")
        async with other.get(edited, allow_redirects=False) as answer:
            assert answer.headers["Location"].startswith("/sidebar/?signed_in=")
