"""Customer profiles: kept from adds, edits, deletions, chat messages and our own tags."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.events import ChatText
from bot.keys import RedisKeys
from bot.profiles.model import ProfileTag, from_hash
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from tests.pipeline_support import wait_until


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


@pytest.fixture
def store(redis: Redis, keys: RedisKeys) -> ProfileStore:
    return ProfileStore(redis, keys)


def chat(msgid: str, sent_at: int, sender: str = "customer", **extra: str) -> ChatText:
    return ChatText(
        msgid=msgid,
        source=extra.pop("source", "ingest"),
        sender=sender,
        external_userid="wmA",
        staff_userid=extra.pop("staff_userid", "zhangsan"),
        text="你好",
        sent_at=sent_at,
        create_time=sent_at,
    )


async def test_messages_are_counted_and_the_latest_kept_out_of_order(
    store: ProfileStore,
) -> None:
    await store.message(chat("1", 2000))
    await store.message(chat("2", 1000))  # an archive batch arriving late
    await store.message(chat("3", 1500, sender="staff"))
    await store.message(chat("4", 3000, source="kf", staff_userid="servicer"))
    profile = await store.get("wmA")
    assert (profile.messages, profile.messages_from_customer) == (4, 3)
    assert (profile.last_message_at, profile.last_customer_message_at) == (3000, 3000)
    # the KF servicer isn't a follower: only the direct chats count towards zhangsan
    assert list(profile.follows) == ["zhangsan"]
    assert (profile.follows["zhangsan"].messages, profile.follows["zhangsan"].last_message_at) == (
        3,
        2000,
    )


async def test_tags_we_mark_join_the_followers_list(store: ProfileStore) -> None:
    vip, new = ProfileTag("et1", "等级", "VIP"), ProfileTag("et2", "等级", "新客")
    await store.tags_changed("wmA", "zhangsan", [vip])
    await store.tags_changed("wmA", "zhangsan", [vip, new])  # marked again: listed once
    assert (await store.get("wmA")).follows["zhangsan"].tags == [vip, new]
    await store.tags_changed("wmA", "zhangsan", [], ["et1", "et2"])
    assert (await store.get("wmA")).follows["zhangsan"].tags == []
    await store.tags_changed("wmA", "zhangsan", [new])  # after an emptied list ("{}" in Lua)
    assert (await store.get("wmA")).follows["zhangsan"].tags == [new]


async def test_a_deletion_is_flagged_and_a_re_add_clears_it(store: ProfileStore) -> None:
    await store.added("wmA", "zhangsan", 100, "ch:spring")
    await store.added("wmA", "lisi", 150, "")
    await store.follow_deleted("wmA", "zhangsan", "customer", 200)
    profile = await store.get("wmA")
    assert profile.follows["zhangsan"].deleted_by == "customer"
    assert profile.follows["zhangsan"].channel == "spring"
    assert not profile.deleted  # lisi still has them
    await store.follow_deleted("wmA", "lisi", "staff", 210)
    assert (await store.get("wmA")).deleted
    await store.added("wmA", "zhangsan", 300, "")
    profile = await store.get("wmA")
    assert profile.follows["zhangsan"].connected and profile.follows["zhangsan"].added_at == 300
    assert not profile.deleted


def test_a_damaged_hash_still_reads() -> None:
    profile = from_hash(
        "wmA",
        {"messages": "x", "zhangsan|tags": "not json", "lisi|tags": "{}", "name": "王", "odd": "1"},
    )
    assert profile.messages == 0 and profile.name == "王"
    assert profile.follows["zhangsan"].tags == [] and profile.follows["lisi"].tags == []


async def test_the_profile_follows_events_end_to_end(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    redis: Redis,
    sandbox_settings: Settings,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = ProfileStore(redis, keys)
    before = int(time.time())
    await live_sandbox.customer_adds_staff(
        "zhangsan", "wmProfile", name="王小明", state="ch:spring"
    )
    await live_sandbox.customer_adds_staff("lisi", "wmProfile")

    async def read_from_wecom() -> bool:
        profile = await store.get("wmProfile")
        return profile.name == "王小明" and {"zhangsan", "lisi"} <= set(profile.follows)

    await wait_until(read_from_wecom)
    profile = await store.get("wmProfile")
    assert profile.follows["zhangsan"].channel == "spring"
    assert profile.follows["zhangsan"].added_at >= before - 1
    assert profile.read_at >= before - 1

    await live_sandbox.staff_edits_customer("zhangsan", "wmProfile", remark="王先生")

    async def remark_read() -> bool:
        return (await store.get("wmProfile")).follows["zhangsan"].remark == "王先生"

    await wait_until(remark_read)

    open_kfid = live_sandbox.add_kf_account()
    await live_sandbox.kf_message("wmProfile", "在吗", open_kfid)

    async def counted() -> bool:
        return (await store.get("wmProfile")).messages == 1

    await wait_until(counted)
    assert (await store.get("wmProfile")).last_customer_message_at >= before - 1

    await live_sandbox.customer_deletes_staff("zhangsan", "wmProfile")
    await live_sandbox.staff_deletes_customer("lisi", "wmProfile")

    async def gone() -> bool:
        return (await store.get("wmProfile")).deleted

    await wait_until(gone)
    follows = (await store.get("wmProfile")).follows
    assert (follows["zhangsan"].deleted_by, follows["lisi"].deleted_by) == ("customer", "staff")


async def test_profile_command(
    sandbox_cli_env: Settings, live_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, list(argv))

    await live_sandbox.customer_adds_staff("zhangsan", "wmCli", name="李雷")  # no bot running
    assert await cli("profile", "wmCli") == 1
    assert "--refresh" in capsys.readouterr().out
    assert await cli("profile", "wmCli", "--refresh") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "李雷" and [f["userid"] for f in shown["follows"]] == ["zhangsan"]
    assert shown["rfm"] is None  # no orders
    assert await cli("profile", "wmNobody", "--refresh") == 1
    assert "无法读取" in capsys.readouterr().out
