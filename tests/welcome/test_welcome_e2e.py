"""Welcome through the sandbox: the chosen template, the customer's name, its fallback, stats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TimeSlot, WelcomeTemplate
from tests.pipeline_support import wait_until

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
def bot(sandbox_bot: TestServer) -> TestServer:
    return sandbox_bot


@pytest.fixture
def store(redis: Redis, sandbox_settings: Settings) -> WelcomeStore:
    return WelcomeStore(redis, RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix))


async def welcomed(sandbox: Sandbox, who: str) -> str:
    async def arrived() -> bool:
        return bool(sandbox.welcomes(who))

    await wait_until(arrived)
    return sandbox.welcomes(who)[0].text


def channel_template() -> WelcomeTemplate:
    return WelcomeTemplate(
        "",
        "春季海报",
        "channel",
        "spring-poster",
        "{{ customer_name }}您好，欢迎从春季海报来到{{ channel_name }}！",
        attachments=[
            {"msgtype": "link", "link": {"title": "新品", "url": "https://example.com/new"}}
        ],
        text_without_name="您好，欢迎从春季海报来！",
        slots=[TimeSlot("旧活动", date_to="2020-01-01")],
    )


async def test_channel_template_with_the_customers_name(
    bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    channel = await store.save(channel_template(), None)
    await live_sandbox.customer_adds_staff(
        "zhangsan", "wmOlive", name="欧丽芙", state="spring-poster"
    )
    # a State that is not one of our channel codes has no name a customer could read
    assert await welcomed(live_sandbox, "wmOlive") == "欧丽芙您好，欢迎从春季海报来到！"
    [welcome] = live_sandbox.welcomes("wmOlive")
    [link] = welcome.attachments
    assert (link["link"]["title"], link["link"]["url"]) == ("新品", "https://example.com/new")
    stats = await store.stats()
    assert stats[f"template:{channel.id}:sent"] == 1 and stats["channel:spring-poster:sent"] == 1


async def test_no_name_in_time_sends_the_fallback(
    bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    await store.save(channel_template(), None)
    live_sandbox.faults.add("externalcontact/get", status=502, times=10)
    await live_sandbox.customer_adds_staff("zhangsan", "wmPaul", name="保罗", state="spring-poster")
    assert await welcomed(live_sandbox, "wmPaul") == "您好，欢迎从春季海报来！"


async def test_other_channels_and_native_welcomes(
    bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    staff = WelcomeTemplate("", "张三", "staff", "zhangsan", "我是张三，{{ date }} 很高兴认识您")
    await store.save(staff, None)
    await live_sandbox.customer_adds_staff("zhangsan", "wmQuinn", state="unknown-channel")
    assert (await welcomed(live_sandbox, "wmQuinn")).startswith("我是张三，20")
    await live_sandbox.customer_adds_staff("lisi", "wmRose")  # native welcome: no code

    async def counted() -> bool:
        return (await store.stats()).get("template:default:no_code") == 1

    await wait_until(counted)
    # the name was never needed: the welcome went out before anything read the customer
    # (the profile reads WeCom's record after the welcome, as the router order says)
    paths = [c.path for c in live_sandbox.calls if c.path.startswith("externalcontact/")]
    assert paths[0] == "externalcontact/send_welcome_msg"
