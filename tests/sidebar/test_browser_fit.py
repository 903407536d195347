"""The statistics page fits a 360 px sidebar and opens for every kind of admin; empty states say
what to do. In headless Chromium, signed in through the sandbox's OAuth like a member."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer, unused_port
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.stats.recorder import StatsRecorder
from tests.sidebar.test_browser import WIDTH, chromium, open_sidebar
from tests.stats.conftest import seed_day

__all__ = ["chromium"]  # the fixture shared with the other browser tests
ADMIN_DEPARTMENT, ADMIN_TAG = 7, 42


@pytest.fixture
def fit_settings(sidebar_settings: Settings) -> Settings:
    """Admins three ways: by id (admin1), by department (deptboss), by contact tag (tagboss)."""
    return replace(
        sidebar_settings,
        public_url=f"http://127.0.0.1:{unused_port()}",
        admins=frozenset({"admin1"}),
        admin_departments=frozenset({ADMIN_DEPARTMENT}),
        admin_tags=frozenset({ADMIN_TAG}),
    )


@pytest.fixture
async def fit_bot(fit_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any) -> TestServer:
    from bot.app import create_app

    live_sandbox.add_staff("admin1", "管理员甲")
    live_sandbox.add_staff("deptboss", "部门主管", department=(ADMIN_DEPARTMENT,))
    live_sandbox.add_staff("tagboss", "标签主管")
    live_sandbox.add_member_tag(ADMIN_TAG, "运营管理员", users=["tagboss"])
    port = int(fit_settings.public_url.rsplit(":", 1)[1])
    server: TestServer = await aiohttp_server(create_app(fit_settings, role="callback"), port=port)
    return server


async def stats_page(chromium: Any, settings: Settings, sandbox: Sandbox, userid: str) -> Any:
    sandbox.sign_in(userid)
    context = await chromium.new_context(viewport={"width": WIDTH, "height": 720}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{settings.public_url}/sidebar/admin/stats")
    return page


@pytest.mark.parametrize(("userid", "days"), [("deptboss", 1), ("tagboss", 35)])
async def test_the_stats_page_fits_360_px_for_admins_by_department_or_tag(
    userid: str,
    days: int,
    chromium: Any,
    fit_bot: TestServer,
    fit_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
) -> None:
    keys = RedisKeys(fit_settings.corp_id, fit_settings.key_prefix)
    now = int(time.time())
    await seed_day(redis, keys, now)  # today's figures
    recorder = StatsRecorder(redis, keys)
    for day in range(1, days):  # and, in the long case, five weeks before them
        at = now - day * 86400
        await recorder.added(f"d{day}", "zhangsan", f"wmDay{day}", "", at)
        await recorder.group_changed(f"g{day}", True, day % 4 + 1, at)
    page = await stats_page(chromium, fit_settings, live_sandbox, userid)
    assert await page.locator("h1").inner_text() == "运营统计"
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    # the last day's bar of every day chart is inside the viewport, not cut off
    rights = await page.evaluate(
        """() => [...document.querySelectorAll("svg.plot")].slice(0, 4).map((svg) => {
             const bars = svg.querySelectorAll("rect.bar");
             return bars.length ? bars[bars.length - 1].getBoundingClientRect().right : 0;
           })"""
    )
    rights = [right for right in rights if right]  # the retention chart has lines, not bars
    assert len(rights) == 3 and all(right <= WIDTH for right in rights), rights
    await page.context.close()


async def test_a_member_is_told_the_stats_are_for_admins_without_settings_names(
    chromium: Any, fit_bot: TestServer, fit_settings: Settings, live_sandbox: Sandbox
) -> None:
    page = await stats_page(chromium, fit_settings, live_sandbox, "zhangsan")
    text = await page.locator("body").inner_text()
    assert "运营统计只对管理员开放" in text and "返回侧边栏" in text
    assert "SCRM_" not in text and "重试" not in text
    await page.context.close()


@pytest.mark.parametrize(
    ("admins", "expected"),
    [
        (frozenset({"lisi"}), "还没有您可用的话术。请联系管理员（李四）添加"),
        (frozenset({"zhangsan"}), "给应用发送「话术 新增 分类 | 标题 | 内容」即可新增一条"),
    ],
)
async def test_an_empty_library_says_whom_to_ask_or_how_to_add(
    admins: frozenset[str],
    expected: str,
    chromium: Any,
    sidebar_settings: Settings,
    live_sandbox: Sandbox,
    aiohttp_server: Any,
) -> None:
    from bot.app import create_app

    settings = replace(sidebar_settings, admins=admins)
    port = int(settings.public_url.rsplit(":", 1)[1])
    await aiohttp_server(create_app(settings, role="callback"), port=port)
    await live_sandbox.customer_adds_staff("zhangsan", "wmEmptyLib", name="空空")
    page = await open_sidebar(chromium, settings, live_sandbox, user_id="wmEmptyLib")
    empty = page.locator("#script-list li.empty")
    await empty.wait_for()
    shown = await empty.inner_text()
    assert expected in shown and "SCRM_" not in shown
    assert page.errors == []
