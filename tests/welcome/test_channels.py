"""Channel codes: who serves when, daily limits, tags after the welcome, stats — via the sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore, StaffSlot, validate_channel
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TemplateError, WelcomeTemplate
from tests.pipeline_support import wait_until

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def test_who_serves_when() -> None:
    channel = Channel(
        "c1",
        "门店海报",
        users=["day1", "day2"],
        slots=[StaffSlot(["night"], start="20:00", end="08:00")],
        backup=["boss"],
        daily_limit=2,
    )
    noon, midnight = datetime(2026, 11, 23, 12, 0), datetime(2026, 11, 23, 23, 0)
    assert channel.serving(noon, {}) == ["day1", "day2"]
    assert channel.serving(midnight, {}) == ["night"]
    assert channel.serving(noon, {"day1": 2}) == ["day2"]
    assert channel.serving(noon, {"day1": 2, "day2": 5}) == ["boss"]  # all full: backup
    assert channel.serving(noon, {"day1": 2, "day2": 2, "boss": 2}) == ["boss"]  # never empty


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "渠道名称"),
        ({"users": []}, "至少需要一名员工"),
        ({"users": [f"u{n}" for n in range(101)]}, "最多 100 名员工"),
        ({"slots": [StaffSlot(["a"], start="9:00", end="")]}, "同时给出"),
        ({"daily_limit": -1}, "不能为负数"),
    ],
)
def test_bad_channels_are_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"id": "", "name": "海报", "users": ["a"]}
    values.update(fields)
    with pytest.raises(TemplateError, match=message):
        validate_channel(Channel(**values))  # type: ignore[arg-type]


@pytest.fixture
def bot(sandbox_bot: TestServer) -> TestServer:
    return sandbox_bot


async def test_channel_code_end_to_end(
    bot: TestServer, live_sandbox: Sandbox, sandbox_settings: Settings, redis: Redis
) -> None:
    live_sandbox.add_staff("wangwu", "王五")  # no native welcome, unlike lisi
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    async with aiohttp.ClientSession() as session:
        wecom = WeComClient.from_settings(sandbox_settings, session, redis)
        group = await wecom.external_contact.add_corp_tag(["春季海报"], group_name="来源渠道")
        tag_id = group["tag"][0]["id"]
        manager = ChannelManager(ChannelStore(redis, keys), wecom.external_contact)
        channel = await manager.create(
            Channel("", "春季海报", users=["zhangsan", "wangwu"], daily_limit=1, tags=[tag_id])
        )
    [way] = live_sandbox.state.contact_ways.values()
    assert (way.state, way.user) == (channel.state, ["zhangsan", "wangwu"])
    assert channel.qr_code and channel.config_id == way.config_id
    await WelcomeStore(redis, keys).save(
        WelcomeTemplate("", "春季海报", "channel", channel.state, "欢迎从春季海报来！"), None
    )

    added = await live_sandbox.customer_adds_staff(
        "zhangsan", "wmSara", config_id=channel.config_id
    )

    async def limited() -> bool:
        return live_sandbox.state.contact_ways[way.config_id].user == ["wangwu"]

    await wait_until(limited)  # zhangsan reached the daily limit of 1: dropped from the code
    assert [w.text for w in live_sandbox.welcomes("wmSara")] == ["欢迎从春季海报来！"]
    paths = [c.path for c in live_sandbox.calls]
    assert paths.index("externalcontact/send_welcome_msg") < paths.index("externalcontact/mark_tag")
    [mark] = live_sandbox.calls_to("externalcontact/mark_tag")
    assert mark.body == {"userid": "zhangsan", "external_userid": "wmSara", "add_tag": [tag_id]}
    follow = live_sandbox.state.follow("zhangsan", added.external_userid)
    assert follow is not None and tag_id in follow.tag_ids

    # the same callback again: nothing twice
    assert live_sandbox.driver is not None
    await live_sandbox.driver.deliver(added.xml)
    await live_sandbox.customer_deletes_staff("zhangsan", "wmSara")
    store = ChannelStore(redis, keys)

    async def left() -> bool:
        return (await store.stats(channel.id))["deletions"] == 1

    await wait_until(left)
    assert await store.stats(channel.id) == {"adds": 1, "deletions": 1, "retention": 0.0}
    assert len(live_sandbox.calls_to("externalcontact/mark_tag")) == 1
    assert len(live_sandbox.welcomes("wmSara")) == 1
