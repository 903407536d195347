"""Auto-tagging end to end: KF messages through the sandbox → sync_msg paged → rules → mark_tag."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.profiles.model import ProfileTag
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.tagging.tags import CorpTags
from bot.wecom import WeComClient
from tests.pipeline_support import wait_until


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
def rules(redis: Redis, keys: RedisKeys) -> TagRuleStore:
    return TagRuleStore(redis, keys)


def rule(name: str, keywords: list[str], **extra: object) -> TagRule:
    return TagRule("", name, keywords, "售后", name, **extra)  # type: ignore[arg-type]


async def history_has(redis: Redis, keys: RedisKeys, count: int) -> None:
    async def arrived() -> bool:
        return int(await redis.xlen(keys.chat_history)) >= count

    await wait_until(arrived)


def marks(sandbox: Sandbox) -> list[tuple[str, str, list[str]]]:
    return [
        (c.body["userid"], c.body["external_userid"], c.body["add_tag"])
        for c in sandbox.calls_to("externalcontact/mark_tag")
        if c.body is not None and c.errcode == 0
    ]


def tag_named(sandbox: Sandbox, name: str) -> str:
    [tag] = [t for t in sandbox.state.tags.values() if t.name == name]
    return tag.id


async def test_a_kf_message_tags_its_customer_once(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    redis: Redis,
    keys: RedisKeys,
    rules: TagRuleStore,
) -> None:
    await rules.save(rule("退款风险", ["退款", "退钱"]))
    await live_sandbox.customer_adds_staff("zhangsan", "wmRefund")
    await live_sandbox.customer_adds_staff("lisi", "wmRefund")
    open_kfid = live_sandbox.add_kf_account()
    live_sandbox.kf_page_size = 2  # three messages: two pages
    for count, text in enumerate(("你好", "在吗"), 1):
        await live_sandbox.kf_message("wmRefund", text, open_kfid)
        await history_has(redis, keys, count)
    await live_sandbox.kf_message("wmRefund", "我要退 款", open_kfid)

    async def marked() -> bool:  # the log is written after WeCom marked: wait for both
        return len(marks(live_sandbox)) == 2 and await redis.xlen(keys.autotag_log) == 2

    await wait_until(marked)
    tag = tag_named(live_sandbox, "退款风险")
    assert sorted(marks(live_sandbox)) == [
        ("lisi", "wmRefund", [tag]),
        ("zhangsan", "wmRefund", [tag]),
    ]
    logged = [fields for _, fields in await redis.xrange(keys.autotag_log)]
    assert {(f["staff"], f["customer"], f["tag"], f["text"]) for f in logged} == {
        ("zhangsan", "wmRefund", "售后/退款风险", "我要退 款"),
        ("lisi", "wmRefund", "售后/退款风险", "我要退 款"),
    }
    # the profile knows the tag at once, without reading WeCom again
    follows = (await ProfileStore(redis, keys).get("wmRefund")).follows
    assert follows["zhangsan"].tags == [ProfileTag(tag, "售后", "退款风险")]

    # the same messages synced again (cursor lost) and a new one: nothing marked twice
    await redis.delete(keys.kf_cursor(open_kfid))
    pulls = len(live_sandbox.calls_to("kf/sync_msg"))
    await live_sandbox.kf_message("wmRefund", "退钱退钱", open_kfid)
    await history_has(redis, keys, 4)

    async def settled() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    await wait_until(settled)
    assert len(marks(live_sandbox)) == 2
    assert int(await redis.xlen(keys.chat_history)) == 4  # the re-read pages added nothing
    resync = live_sandbox.calls_to("kf/sync_msg")[pulls:]
    assert [bool(c.body and c.body.get("cursor")) for c in resync] == [False, True]  # 2 pages


async def test_thresholds_boundaries_and_scope(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    redis: Redis,
    keys: RedisKeys,
    rules: TagRuleStore,
) -> None:
    await rules.save(rule("多次投诉", ["投诉"], threshold=2, window_hours=24))
    await rules.save(rule("水果", ["苹果"], word_boundary=True))
    await rules.save(rule("李四的会员", ["会员"], staff=["lisi"]))
    await live_sandbox.customer_adds_staff("zhangsan", "wmMany")
    await live_sandbox.customer_adds_staff("lisi", "wmMany")
    open_kfid = live_sandbox.add_kf_account()
    for count, text in enumerate(("我要投诉", "有苹果醋吗", "怎么办会员"), 1):
        await live_sandbox.kf_message("wmMany", text, open_kfid)
        await history_has(redis, keys, count)

    async def lisi_marked() -> bool:
        return len(marks(live_sandbox)) == 1

    await wait_until(lisi_marked)
    assert marks(live_sandbox) == [("lisi", "wmMany", [tag_named(live_sandbox, "李四的会员")])]
    await live_sandbox.kf_message("wmMany", "再投诉一次", open_kfid)  # the second within 24 h

    async def complaint_marked() -> bool:
        return len(marks(live_sandbox)) == 3

    await wait_until(complaint_marked)
    complaint = tag_named(live_sandbox, "多次投诉")
    assert sorted(m for m in marks(live_sandbox) if m[2] == [complaint]) == [
        ("lisi", "wmMany", [complaint]),
        ("zhangsan", "wmMany", [complaint]),
    ]
    assert not [t for t in live_sandbox.state.tags.values() if t.name == "水果"]


async def test_a_customer_who_has_the_tag_is_not_marked_again(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
    keys: RedisKeys,
    rules: TagRuleStore,
) -> None:
    await rules.save(rule("退款风险", ["退款"]))
    await live_sandbox.customer_adds_staff("zhangsan", "wmTagged")
    tag = await CorpTags(redis, keys, sandbox_wecom.external_contact).tag_id("售后", "退款风险")
    assert tag is not None
    await sandbox_wecom.external_contact.mark_tag("zhangsan", "wmTagged", add_tag=[tag])
    before = len(live_sandbox.calls_to("externalcontact/mark_tag"))
    await live_sandbox.kf_message("wmTagged", "退款", live_sandbox.add_kf_account())
    await history_has(redis, keys, 1)

    async def settled() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    await wait_until(settled)
    assert len(live_sandbox.calls_to("externalcontact/mark_tag")) == before
