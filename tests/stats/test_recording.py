"""Statistics recorded end to end: WeCom's events through the running bot into per-day counts,
each event counted once however often it arrives or its handler runs."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import corp_date
from bot.config import Settings
from bot.context import Delivery
from bot.events import AddExternalContact, DelFollowUser, ExternalChatUpdate, parse_event
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.stats import read_stats, record_sop
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore
from handlers.stats import count_group_members, count_lost_by_customer, count_new_customer
from tests.helpers import handler_context
from tests.stats.conftest import drained


async def test_a_days_events_are_counted_per_corp_staff_and_channel(
    sandbox_bot: TestServer, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    await ChannelStore(redis, keys).save(Channel("spring", "春季海报", users=["zhangsan"]))
    first = await live_sandbox.customer_adds_staff("zhangsan", "wmA", state="ch:spring")
    await live_sandbox.customer_adds_staff("zhangsan", "wmB")
    await live_sandbox.customer_adds_staff("lisi", "wmC", state="ch:spring")
    await live_sandbox.customer_adds_staff("lisi", "wmD", state="poster-2024")  # not a channel
    await live_sandbox.customer_deletes_staff("zhangsan", "wmA")
    await live_sandbox.staff_deletes_customer("lisi", "wmC")
    await live_sandbox.staff_deletes_customer("zhangsan", "wmB", source="DELETE_BY_TRANSFER")
    await live_sandbox.group_created("zhangsan", "wrStats")
    await live_sandbox.customer_joins_group("wrStats", ["wmX", "wmY"])
    await live_sandbox.customer_leaves_group("wrStats", "wmX", quit_scene=1)
    assert live_sandbox.driver is not None
    again = await live_sandbox.driver.deliver(first.xml)  # WeCom retrying a delivery
    assert again.delivered
    await drained(redis, keys)

    event = parse_event(first.xml)
    today = corp_date(event.create_time)
    [day] = await read_stats(redis, keys, 1, today=today)
    assert day.day == today
    assert (day.new, day.lost_by_customer, day.lost_by_staff, day.transferred) == (4, 1, 1, 1)
    assert day.net == 2  # the transfer is no loss
    assert (day.group_joins, day.group_leaves, day.group_net) == (2, 1, 1)
    assert (day.sop_sent, day.sop_completed) == (0, 0)

    staff = {row.who: row for row in await read_stats(redis, keys, 1, "staff", today)}
    assert sorted(staff) == ["lisi", "zhangsan"]
    zhangsan, lisi = staff["zhangsan"], staff["lisi"]
    assert (zhangsan.new, zhangsan.lost_by_customer, zhangsan.transferred, zhangsan.net) == (
        2,
        1,
        1,
        1,
    )
    assert (lisi.new, lisi.lost_by_staff, lisi.net) == (2, 1, 1)
    assert zhangsan.group_joins is None  # group figures are the corp's only

    [spring] = await read_stats(redis, keys, 1, "channel", today)
    assert (spring.who, spring.name) == ("spring", "春季海报")
    assert (spring.new, spring.lost_by_customer, spring.lost_by_staff, spring.net) == (2, 1, 1, 0)
    assert spring.sop_sent is None

    # only the relation still standing is remembered
    assert list(await redis.hgetall(keys.stats_relations)) == ["lisi|wmD"]


async def test_a_handler_run_again_counts_nothing_twice(
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    keys: RedisKeys,
    sandbox_wecom: WeComClient,
) -> None:
    added = await live_sandbox.customer_adds_staff("zhangsan", "wmAgain", state="ch:spring")
    left = await live_sandbox.customer_deletes_staff("zhangsan", "wmAgain")
    joined = await live_sandbox.customer_joins_group("wrAgain", ["wmAgain"], owner="zhangsan")
    add, loss, join = (parse_event(r.xml) for r in (added, left, joined))
    assert isinstance(add, AddExternalContact) and isinstance(loss, DelFollowUser)
    assert isinstance(join, ExternalChatUpdate)
    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)
    for attempt in (1, 2):  # the pipeline runs a handler again after a crash or take-over
        await count_new_customer(add, ctx.for_delivery(Delivery("1-0", 0, attempt)))
        await count_lost_by_customer(loss, ctx.for_delivery(Delivery("2-0", 0, attempt)))
        await count_group_members(join, ctx.for_delivery(Delivery("3-0", 0, attempt)))
    today = corp_date(add.create_time)
    [day] = await read_stats(redis, keys, 1, today=today)
    assert (day.new, day.lost_by_customer, day.group_joins) == (1, 1, 1)
    cohort = await redis.hgetall(keys.stats_day(today.isoformat()))
    assert cohort["lost_after:0"] == "1"
    [spring] = await read_stats(redis, keys, 1, "channel", today)
    assert (spring.new, spring.lost_by_customer) == (1, 1)

    # another stream entry is another event: a second add is counted
    await count_new_customer(add, ctx.for_delivery(Delivery("4-0", 0, 1)))
    assert (await read_stats(redis, keys, 1, today=today))[0].new == 2


async def test_sop_outcomes_per_day_and_staff(redis: Redis, keys: RedisKeys) -> None:
    at = 1_717_214_400  # 2024-06-01 12:00 in Shanghai
    await record_sop(redis, keys, "sent", "zhangsan", at)
    await record_sop(redis, keys, "sent", "lisi", at + 60)
    assert await record_sop(redis, keys, "completed", "zhangsan", at + 120, mark="task1:done")
    assert not await record_sop(redis, keys, "completed", "zhangsan", at + 180, mark="task1:done")
    await record_sop(redis, keys, "sent", "zhangsan", at + 86_400)  # the next day
    day = corp_date(at)
    [row] = await read_stats(redis, keys, 1, today=day)
    assert (row.sop_sent, row.sop_completed, row.new) == (2, 1, 0)
    staff = {r.who: r for r in await read_stats(redis, keys, 1, "staff", today=day)}
    assert (staff["zhangsan"].sop_sent, staff["zhangsan"].sop_completed) == (1, 1)
    assert (staff["lisi"].sop_sent, staff["lisi"].sop_completed) == (1, 0)
    ttl = await redis.ttl(keys.stats_day(day.isoformat()))
    assert 399 * 86_400 < ttl <= 400 * 86_400
    with pytest.raises(ValueError, match="opened"):
        await record_sop(redis, keys, "opened", "zhangsan", at)
