"""A group live code whose groups are all nearly full and that creates no new group: the admins
are told once a day, before a customer scans it in vain; a code that auto-creates is not."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config import Settings
from bot.group_codes.codes import GroupCode
from bot.group_codes.periodic import NEAR_FULL, warn_full_codes
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from tests.helpers import handler_context


async def test_admins_are_told_once_of_a_full_code(
    sandbox_settings: Settings, live_sandbox: Sandbox, sandbox_wecom: WeComClient, redis: Redis
) -> None:
    live_sandbox.add_staff("admin1", "王管理")
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = GroupCodeStore(redis, keys, sandbox_wecom.group_join)
    await live_sandbox.group_created("lisi", "wrNearlyFull00001", [], name="福利群1")
    group = live_sandbox.state.groups["wrNearlyFull00001"]
    group.members += [f"wmFill{n:04d}" for n in range(NEAR_FULL - len(group.members))]
    await store.create(GroupCode("", "老群码", ["wrNearlyFull00001"], auto_create=False))
    await store.create(GroupCode("", "自动建群码", ["wrNearlyFull00001"], room_base_name="福利群"))
    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)

    assert await warn_full_codes(ctx) == 1
    [alert] = live_sandbox.app_messages("admin1")
    text = str(alert.content["content"])
    assert "「老群码」" in text and "没有开启自动建群" in text and "自动建群码" not in text
    assert await warn_full_codes(ctx) == 0  # told today already
    assert len(live_sandbox.app_messages("admin1")) == 1

    group.members = group.members[: NEAR_FULL - 20]  # room again: no warning tomorrow either
    await redis.delete(
        *[key async for key in redis.scan_iter(match=f"{keys.base}:groupcodes:warned:*")]
    )
    assert await warn_full_codes(ctx) == 0
