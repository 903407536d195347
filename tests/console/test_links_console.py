"""The console's acquisition-link page: the quota left (flagged when low) and each link with
the URL to hand out, carrying our State."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.acquisition.links import AcquisitionLink, LinkStore
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from tests.console.conftest import SignIn


async def test_the_console_shows_the_quota_and_the_links(
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
) -> None:
    browser = await sign_in("admin1")
    live_sandbox.state.acquisition_balance = 7
    async with browser.http.get(f"{browser.base}links") as page:
        html = await page.text()
    assert "剩余 <strong>7</strong> 次" in html and "即将用完" in html and "还没有获客链接" in html
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient.from_settings(console_settings, session, redis)
        link = await LinkStore(redis, keys, wecom.acquisition).create(
            AcquisitionLink("", "小红书投放", ["zhangsan"])
        )
    async with browser.http.get(f"{browser.base}links") as page:
        html = await page.text()
    assert "小红书投放" in html and f"customer_channel=acq%3A{link.id}" in html
