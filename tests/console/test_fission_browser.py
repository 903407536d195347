"""Creating a fission activity in the console in Chromium: the poster image picked in the form is
uploaded first and the activity saved with it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from PIL import Image
from redis.asyncio import Redis

from bot.config import Settings
from bot.fission.store import FissionStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from tests.console.test_browser import open_console
from tests.pipeline_support import wait_until
from tests.sidebar.test_browser import chromium  # noqa: F401  (the shared browser fixture)


async def test_create_an_activity_with_its_poster(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    chromium: Any,  # noqa: F811
    redis: Redis,
    tmp_path: Path,
) -> None:
    poster = tmp_path / "bg.png"
    out = io.BytesIO()
    Image.new("RGB", (750, 1200), "#fde").save(out, "PNG")
    poster.write_bytes(out.getvalue())
    page = await open_console(chromium, console_settings, live_sandbox, "admin1", 1280, "fission")
    form = page.locator('form[data-post="api/fission/create"]')
    await form.locator('[name="name"]').fill("邀3位好友领券")
    await form.locator('[name="staff"]').fill("zhangsan")
    await form.locator('[name="start"]').fill("2026-12-01T10:00")
    await form.locator('[name="end"]').fill("2027-01-01T10:00")
    await form.locator('[name="reward"]').select_option("message")
    await form.locator('[name="reward_text"]').fill("送您 20 元券")
    await form.locator('input[type="file"]').set_input_files(str(poster))
    await form.locator('button[type="submit"]').click()
    store = FissionStore(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))

    async def saved() -> bool:
        return bool(await store.activities())

    await wait_until(saved)
    [activity] = await store.activities()
    assert activity.poster_ref.startswith("image-") and activity.reward_text == "送您 20 元券"
    assert page.errors == []
