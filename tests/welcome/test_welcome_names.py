"""A welcome names the member and the channel code as people know them, never by their ids."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import WelcomeTemplate
from tests.welcome.test_welcome_e2e import welcomed

TEXT = "{{ customer_name }}您好，我是{{ staff_name }}，欢迎从「{{ channel_name }}」来！"


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


async def test_staff_and_channel_by_their_names(
    sandbox_bot: TestServer, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    channel = await ChannelStore(redis, keys).save(Channel("c7f1", "春季海报", ["zhangsan"]))
    await WelcomeStore(redis, keys).save(
        WelcomeTemplate("", "海报欢迎", "channel", channel.state, TEXT, text_without_name="您好"),
        None,
    )
    await live_sandbox.customer_adds_staff("zhangsan", "wmNina", name="妮娜", state=channel.state)
    assert await welcomed(live_sandbox, "wmNina") == "妮娜您好，我是张三，欢迎从「春季海报」来！"


async def test_the_name_is_cached_for_when_wecom_does_not_answer(
    sandbox_bot: TestServer, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    await WelcomeStore(redis, keys).save(
        WelcomeTemplate("", "员工欢迎", "staff", "zhangsan", "我是{{ staff_name }}"), None
    )
    await live_sandbox.customer_adds_staff("zhangsan", "wmOtto", name="奥托")
    assert await welcomed(live_sandbox, "wmOtto") == "我是张三"
    live_sandbox.faults.add("user/get", status=502, times=100)
    await live_sandbox.customer_adds_staff("zhangsan", "wmOlga", name="奥尔加")
    assert await welcomed(live_sandbox, "wmOlga") == "我是张三"
