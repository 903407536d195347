"""Joins through a group live code: the sandbox puts the code's State on add_member, the bot
counts each join event once for that code and day, and a full code's next scan lands in the
group WeCom creates."""

from __future__ import annotations

import datetime as dt

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.codes import GroupCode
from bot.group_codes.report import report
from bot.group_codes.stats import GroupCodeStats
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sandbox.scenarios import QR_GROUP_LIMIT
from bot.wecom import WeComClient
from tests.pipeline_support import wait_until


async def test_joins_are_counted_for_their_code(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    await live_sandbox.group_created("lisi", "wrFullGroup000001", [], name="福利群1")
    full = live_sandbox.state.groups["wrFullGroup000001"]
    full.members += [f"wmFill{n:04d}" for n in range(QR_GROUP_LIMIT - len(full.members))]
    await live_sandbox.group_created("lisi", "wrRoomyGroup00001", [], name="福利群2")
    store = GroupCodeStore(redis, keys, sandbox_wecom.group_join)
    code = await store.create(
        GroupCode(
            "",
            "门店群码",
            ["wrFullGroup000001", "wrRoomyGroup00001"],
            room_base_name="福利群",
            room_base_id=3,
        )
    )
    stats = GroupCodeStats(redis, keys)
    today = corp_now().date()

    async def joins_today(count: int) -> bool:
        return (await stats.joins(code.id, 1, today))[0][1] == count

    first = await live_sandbox.customer_joins_via_code(code.config_id, "wmJoiner1")
    assert first.chat_id == "wrRoomyGroup00001"  # the full one is skipped
    assert f"<State><![CDATA[gc:{code.id}]]></State>" in first.xml
    await wait_until(lambda: joins_today(1))

    roomy = live_sandbox.state.groups["wrRoomyGroup00001"]
    roomy.members += [f"wmMore{n:04d}" for n in range(QR_GROUP_LIMIT - len(roomy.members))]
    created = await live_sandbox.customer_joins_via_code(code.config_id, "wmJoiner2")
    assert live_sandbox.state.groups[str(created.chat_id)].name == "福利群3"  # WeCom's new group
    await wait_until(lambda: joins_today(2))
    # another group's join, without a state, counts for no code
    await live_sandbox.customer_joins_group("wrRoomyGroup00001", "wmPlain")
    assert (await stats.joins(code.id, 2, today))[-1] == (today, 2)
    # leaving: the one who came through the code counts, the other does not

    async def leaves_today(count: int) -> bool:
        return (await stats.days(code.id, 1, today))[0][2] == count

    await live_sandbox.customer_leaves_group("wrRoomyGroup00001", ["wmJoiner1", "wmPlain"])
    await wait_until(lambda: leaves_today(1))

    # the report: the code's two groups, then the one WeCom made; net and retention
    found = await report(code, stats, sandbox_wecom.external_contact, today)
    assert [(g.chat_id, g.created) for g in found.groups] == [
        ("wrFullGroup000001", False),
        ("wrRoomyGroup00001", False),
        (str(created.chat_id), True),
    ]
    assert found.created == 1 and found.groups[0].full and not found.all_full
    week = found.spans[0]
    assert (week.days, week.joins, week.leaves, week.net, week.retention) == (7, 2, 1, 1, 0.5)


async def test_one_event_counts_once_and_a_leave_finds_its_code(
    settings: Settings, redis: Redis
) -> None:
    stats = GroupCodeStats(redis, RedisKeys(settings.corp_id, settings.key_prefix))
    day = dt.date(2026, 12, 5)
    assert await stats.joined("1-0", "abc", "wrG", ["wm1", "wm2"], day) is True
    assert await stats.joined("1-0", "abc", "wrG", ["wm1", "wm2"], day) is False  # retried
    assert await stats.joined("2-0", "abc", "wrG", ["wm3"], day) is True
    assert await stats.joins("abc", 2, day) == [(dt.date(2026, 12, 4), 0), (day, 3)]
    # wm1 joined through the code, wmX did not: one leave counts for it, once
    assert await stats.left("3-0", "wrG", ["wm1", "wmX"], day) == 1
    assert await stats.left("3-0", "wrG", ["wm1", "wmX"], day) == 0  # the same event, retried
    assert await stats.left("4-0", "wrG", ["wm1"], day) == 0  # already counted as left
    assert await stats.days("abc", 1, day) == [(day, 3, 1)]
    assert await stats.chats("abc") == {"wrG"}
    summary = await stats.summary("abc", 30, day)
    assert (summary.joins, summary.leaves, summary.net) == (3, 1, 2)
    assert summary.retention == 2 / 3
