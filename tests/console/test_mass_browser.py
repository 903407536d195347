"""The mass-send form in Chromium: a preview stays on the page (whom each member reaches), then
unticking 只预览 saves the task."""

from __future__ import annotations

import time
from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.mass.store import MassStore
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from tests.console.test_browser import open_console
from tests.pipeline_support import wait_until
from tests.sidebar.test_browser import chromium  # noqa: F401  (the shared browser fixture)


async def test_preview_then_save(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    chromium: Any,  # noqa: F811
    redis: Redis,
) -> None:
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    now = int(time.time())
    for n in range(2):
        eid = f"wmbr{n}"
        live_sandbox.state.follows[("lisi", eid)] = FollowUser("lisi", eid, now - 60)
        await ProfileStore(redis, keys).record_contact(
            {
                "external_contact": {"external_userid": eid},
                "follow_user": [{"userid": "lisi", "createtime": now - 60}],
            },
            now,
        )
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", 1280, "mass")
    form = page.locator('form[data-post="api/mass/create"]')
    await form.locator('[name="name"]').fill("周末上新")
    await form.locator('[name="text"]').fill("新品到店")
    await form.locator('button[type="submit"]').click()
    result = form.locator(".result")
    await result.filter(has_text="共 2 个接收对象").wait_for()
    assert "· 李四：2" in await result.inner_text()
    store = MassStore(redis, keys)
    assert await store.all() == []
    await form.locator('[name="preview"]').uncheck()
    await form.locator('button[type="submit"]').click()

    async def saved() -> bool:
        return bool(await store.all())

    await wait_until(saved)
    [task] = await store.all()
    assert (task.name, task.text, task.status) == ("周末上新", "新品到店", "scheduled")
    assert page.errors == []
