"""Guided group entry (引导入群), end to end through the sandbox: a channel's welcome attaches a
group live code, the new friend receives the code's QR image with the welcome, joins through
it, and the join counts for the channel's add day: added → welcomed → joined, once per customer.
A join by someone who never came through a channel counts for the code but not the funnel."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.codes import GroupCode
from bot.group_codes.funnel import funnel
from bot.group_codes.stats import GroupCodeStats
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.names import Names
from bot.sandbox import Sandbox
from bot.sandbox.routes_client import code_png
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TemplateError, WelcomeTemplate
from tests.pipeline_support import wait_until


async def test_the_welcome_carries_the_code_and_the_join_completes_the_funnel(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    await live_sandbox.group_created("lisi", "wrGuidedGroup0001", [], name="新客福利群")
    code = await GroupCodeStore(redis, keys, sandbox_wecom.group_join).create(
        GroupCode("", "新客群码", ["wrGuidedGroup0001"], room_base_name="新客福利群")
    )
    manager = ChannelManager(ChannelStore(redis, keys), sandbox_wecom.external_contact)
    channel = await manager.create(Channel("", "直播间海报", ["zhangsan"]))
    attach = [{"msgtype": "group_code", "group_code": {"id": code.id}}]
    await WelcomeStore(redis, keys).save(
        WelcomeTemplate(
            "", "直播间", "channel", channel.state, "欢迎！扫码进群领福利", attachments=attach
        ),
        None,
    )

    await live_sandbox.customer_adds_staff(
        "zhangsan", "wmGuided1", name="周小雨", config_id=channel.config_id
    )
    await wait_until(lambda: _welcomed(live_sandbox, "wmGuided1"))
    [welcome] = live_sandbox.welcomes("wmGuided1")
    [image] = welcome.attachments
    media_id = image["image"]["media_id"]
    sent = live_sandbox.state.media[media_id]
    assert sent.type == "image" and sent.size == len(code_png(code.config_id))  # the QR itself

    # the customer scans the code in the welcome, leaves, and comes back: counted once
    await live_sandbox.customer_joins_via_code(code.config_id, "wmGuided1")
    stats = GroupCodeStats(redis, keys)
    today = corp_now().date()
    await wait_until(lambda: _guided(stats, channel.id, 1))
    await live_sandbox.customer_leaves_group("wrGuidedGroup0001", "wmGuided1")
    # someone who never added through a channel: the code counts them, the funnel doesn't
    await live_sandbox.customer_joins_via_code(code.config_id, "wmWalkIn1")
    await live_sandbox.customer_joins_via_code(code.config_id, "wmGuided1")
    await wait_until(lambda: _joins(stats, code.id, 3))

    names = Names(redis, keys, sandbox_wecom)
    rows = await funnel(redis, keys, stats, names, 1, today)
    assert [(r.channel, r.name, r.added, r.welcomed, r.joined) for r in rows] == [
        (channel.id, "直播间海报", 1, 1, 1)
    ]
    assert rows[0].joined_share == 1.0
    per_code = (await stats.guided_days(1, today))[today]
    assert per_code == {channel.id: 1, f"{channel.id}|{code.id}": 1}

    # a template can't attach a code that doesn't exist
    missing = [{"msgtype": "group_code", "group_code": {"id": "zzzzzz"}}]
    try:
        await WelcomeStore(redis, keys).save(
            WelcomeTemplate("", "坏", "staff", "lisi", "你好", attachments=missing), None
        )
    except TemplateError as exc:
        assert "没有群活码 zzzzzz" in str(exc)
    else:
        raise AssertionError("a missing group code was saved")


async def _welcomed(sandbox: Sandbox, customer: str) -> bool:
    return bool(sandbox.welcomes(customer))


async def _guided(stats: GroupCodeStats, channel: str, count: int) -> bool:
    days = await stats.guided_days(1, corp_now().date())
    return next(iter(days.values())).get(channel, 0) == count


async def _joins(stats: GroupCodeStats, code_id: str, count: int) -> bool:
    return (await stats.summary(code_id, 1, corp_now().date())).joins == count
