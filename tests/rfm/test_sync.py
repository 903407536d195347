"""RFM runs against the WeCom sandbox: segments become tags on every follower, once, and move."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from redis.asyncio import Redis

from bot.clock import CORP_TIME
from bot.config import Settings
from bot.keys import RedisKeys
from bot.profiles.model import ProfileTag
from bot.profiles.store import ProfileStore
from bot.rfm.model import DAY, SEGMENT_NAMES, Order
from bot.rfm.orders import OrderRow, OrderStore
from bot.rfm.runner import RfmRunner, latest_summary, segment_of
from bot.rfm.sync import TAG_GROUP
from bot.sandbox import Sandbox
from bot.storage.locks import LockTimeout, RedisLease
from bot.tagging.tags import CorpTags
from bot.wecom import WeComClient

NOW = float(int(time.time()))


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
def runner(redis: Redis, keys: RedisKeys, sandbox_wecom: WeComClient) -> RfmRunner:
    return RfmRunner(
        redis, keys, sandbox_wecom.external_contact, window_days=90, calls_per_second=1000
    )


async def add_orders(redis: Redis, keys: RedisKeys, *orders: tuple[str, str, int, float]) -> None:
    rows = [
        OrderRow(oid, Order(oid, customer, yuan * 100, int(NOW - days * DAY)))
        for oid, customer, yuan, days in orders
    ]
    await OrderStore(redis, keys).apply(rows)


def marks(sandbox: Sandbox, since: int = 0) -> list[tuple[str, str, list[str], list[str]]]:
    return [
        (
            c.body["userid"],
            c.body["external_userid"],
            c.body.get("add_tag", []),
            c.body.get("remove_tag", []),
        )
        for c in sandbox.calls_to("externalcontact/mark_tag")[since:]
        if c.body is not None and c.errcode == 0
    ]


def rfm_tag(sandbox: Sandbox, name: str) -> str:
    [group] = [g for g in sandbox.state.tag_groups.values() if g.group_name == TAG_GROUP]
    [tag] = [t for t in group.tag_ids if sandbox.state.tags[t].name == name]
    return tag


async def test_segments_are_marked_once_and_moved_when_they_change(
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
    keys: RedisKeys,
    runner: RfmRunner,
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wmA")
    await live_sandbox.customer_adds_staff("lisi", "wmA")
    await live_sandbox.customer_adds_staff("zhangsan", "wmB")
    live_sandbox.add_customer("wmGone")  # a customer without followers: 84061
    # wmUnknown is not in WeCom at all: 40096
    api = sandbox_wecom.external_contact
    tags = CorpTags(redis, keys, api)
    top = await tags.tag_id(TAG_GROUP, "头部活跃")
    tea = await tags.tag_id("兴趣", "茶叶")
    assert top is not None and tea is not None
    await api.mark_tag("lisi", "wmA", add_tag=[top])  # lisi already has it: no call for lisi
    await api.mark_tag("zhangsan", "wmA", add_tag=[tea])  # not ours: never touched
    await add_orders(
        redis,
        keys,
        ("a1", "wmA", 500, 1),
        ("a2", "wmA", 500, 2),
        ("b1", "wmB", 10, 80),
        ("g1", "wmGone", 10, 5),
        ("u1", "wmUnknown", 10, 5),
    )
    # By hand: R 1, 80, 5, 5 → average 22.75; F 2, 1, 1, 1 → 1.25; M 1000, 10, 10, 10 → 257.5.
    # wmA is 头部活跃; wmB (old, seldom, small) 尾部流失; wmGone and wmUnknown 成长初期.
    before = len(live_sandbox.calls_to("externalcontact/mark_tag"))
    report = await runner.run(NOW)
    assert report.as_dict() == {
        "customers": 4,
        "changed": 4,
        "dropped": 0,
        "marked": 2,
        "skipped": 2,
        "failed": 0,
        "stopped": "",
    }
    tail = rfm_tag(live_sandbox, "尾部流失")
    assert rfm_tag(live_sandbox, "头部活跃") == top
    assert marks(live_sandbox, before) == [
        ("zhangsan", "wmA", [top], []),
        ("zhangsan", "wmB", [tail], []),
    ]
    # the whole group exists, every cell a tag
    [group] = [g for g in live_sandbox.state.tag_groups.values() if g.group_name == TAG_GROUP]
    assert sorted(live_sandbox.state.tags[t].name for t in group.tag_ids) == sorted(SEGMENT_NAMES)
    assert live_sandbox.state.follow("zhangsan", "wmA").tag_ids == [tea, top]  # type: ignore[union-attr]
    stored = await segment_of(redis, keys, "wmA")
    assert stored is not None
    assert (stored["segment"], stored["r_days"], stored["f"], stored["m_cents"]) == (
        "头部活跃",
        1.0,
        2,
        100_000,
    )
    assert (await segment_of(redis, keys, "wmGone") or {})["segment"] == "成长初期"
    summary = await latest_summary(redis, keys)
    assert summary is not None
    assert summary["averages"] == {"r_days": 22.75, "f": 1.25, "m_cents": 25_750}
    assert summary["segments"]["头部活跃"] == 1 and summary["segments"]["成长初期"] == 2

    # nothing changed: no WeCom call at all, only the scores move on
    calls = len(live_sandbox.calls)
    report = await runner.run(NOW + 60)
    assert (report.changed, report.marked, report.skipped) == (0, 0, 0)
    assert len(live_sandbox.calls) == calls
    assert (await segment_of(redis, keys, "wmA") or {})["at"] == int(NOW + 60)

    # wmB buys big. By hand: R 1, 1/24, 5, 5 days → average 2.76; F 2, 2, 1, 1 → 1.5;
    # M 1000, 2010, 10, 10 → 757.5: wmB is 头部活跃 now, wmGone and wmUnknown 尾部流失.
    await add_orders(redis, keys, ("b2", "wmB", 2000, 1 / 24))
    before = len(live_sandbox.calls_to("externalcontact/mark_tag"))
    report = await runner.run(NOW)
    assert (report.changed, report.marked, report.skipped, report.failed) == (3, 1, 2, 0)
    assert marks(live_sandbox, before) == [("zhangsan", "wmB", [top], [tail])]
    assert live_sandbox.state.follow("zhangsan", "wmB").tag_ids == [top]  # type: ignore[union-attr]
    # the profile knows at once, without reading WeCom again
    profile = await ProfileStore(redis, keys).get("wmB")
    assert profile.follows["zhangsan"].tags == [ProfileTag(top, TAG_GROUP, "头部活跃")]

    # every order of wmB refunded: no segment, no RFM tag
    await OrderStore(redis, keys).apply([OrderRow("b1", None), OrderRow("b2", None)])
    before = len(live_sandbox.calls_to("externalcontact/mark_tag"))
    report = await runner.run(NOW)
    assert (report.customers, report.changed, report.dropped, report.marked) == (3, 0, 1, 1)
    assert marks(live_sandbox, before) == [("zhangsan", "wmB", [], [top])]
    assert await segment_of(redis, keys, "wmB") is None
    assert (await ProfileStore(redis, keys).get("wmB")).follows["zhangsan"].tags == []


async def test_failures_are_retried_and_deleted_tags_recreated(
    live_sandbox: Sandbox, redis: Redis, keys: RedisKeys, runner: RfmRunner
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wmA")
    await add_orders(redis, keys, ("a1", "wmA", 100, 1))
    live_sandbox.faults.add("externalcontact/mark_tag", errcode=60011)
    report = await runner.run(NOW)
    assert (report.changed, report.marked, report.failed) == (1, 0, 1)
    assert await segment_of(redis, keys, "wmA") is None  # not synced: not stored
    report = await runner.run(NOW)
    assert (report.changed, report.marked, report.failed) == (1, 1, 0)
    old = rfm_tag(live_sandbox, "头部活跃")

    # an admin deletes the tag in the console; the next change finds out and creates it anew
    live_sandbox.state.tags.pop(old)
    for group in live_sandbox.state.tag_groups.values():
        group.tag_ids = [t for t in group.tag_ids if t != old]
    await redis.hdel(keys.rfm_segments, "wmA")
    report = await runner.run(NOW)
    new = rfm_tag(live_sandbox, "头部活跃")
    assert new != old
    assert (report.marked, report.failed) == (1, 0)
    assert new in live_sandbox.state.follow("zhangsan", "wmA").tag_ids  # type: ignore[union-attr]


async def test_a_run_stops_syncing_after_many_failures_in_a_row(
    live_sandbox: Sandbox, redis: Redis, keys: RedisKeys, runner: RfmRunner
) -> None:
    for i in range(25):
        await live_sandbox.customer_adds_staff("zhangsan", f"wm{i:02d}")
    await add_orders(redis, keys, *((f"o{i}", f"wm{i:02d}", 10, 1) for i in range(25)))
    live_sandbox.faults.add("externalcontact/get", errcode=48002, times=100)
    report = await runner.run(NOW)
    assert (report.changed, report.failed) == (25, 25)
    assert "48002" in report.stopped
    assert len(live_sandbox.calls_to("externalcontact/get")) == 20  # then it stopped asking


async def test_the_daily_run_happens_once_from_its_hour(
    live_sandbox: Sandbox, redis: Redis, keys: RedisKeys, runner: RfmRunner
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wmA")
    await add_orders(redis, keys, ("a1", "wmA", 100, 1))
    early = datetime(2026, 11, 2, 2, 59, tzinfo=CORP_TIME)
    assert await runner.run_daily(3, early) is None
    assert await segment_of(redis, keys, "wmA") is None
    # another process holds the lock: this one leaves the day to it
    await redis.set(keys.rfm_lock, "someone", ex=60)
    assert await runner.run_daily(3, early.replace(hour=3)) is None
    await redis.delete(keys.rfm_lock)
    report = await runner.run_daily(3, early.replace(hour=3, minute=5))
    assert report is not None and report.marked == 1
    assert 86_400 < await redis.ttl(keys.rfm_done("2026-11-02")) <= 2 * 86_400
    calls = len(live_sandbox.calls)
    assert await runner.run_daily(3, early.replace(hour=17)) is None  # done for the day
    assert len(live_sandbox.calls) == calls
    assert not await redis.exists(keys.rfm_lock)


async def test_the_run_lock_is_renewed_while_held_and_released_after(
    redis: Redis, keys: RedisKeys
) -> None:
    async with RedisLease(redis, keys.rfm_lock, 1):
        await asyncio.sleep(1.5)  # past its TTL: still ours, renewed meanwhile
        assert await redis.exists(keys.rfm_lock)
        with pytest.raises(LockTimeout):
            async with RedisLease(redis, keys.rfm_lock, 120):
                pass
    assert not await redis.exists(keys.rfm_lock)
