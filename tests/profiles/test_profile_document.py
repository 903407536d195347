"""A profile is one compact document: the same information as the old hash, a third the size,
and old hashes carried over by the first update that touches them."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.events import ChatText
from bot.keys import RedisKeys
from bot.profiles.codec import avatar_url, code_avatar
from bot.profiles.model import FollowProfile, ProfileTag
from bot.profiles.store import ProfileStore

AVATAR = "http://wx.qlogo.cn/mmhead/Q3auHgzwzM4ibG0Nic8uLfBkJnOvT2yq8dH3Pn2qC0yC1aK5sw/0"


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


@pytest.fixture
def store(redis: Redis, keys: RedisKeys) -> ProfileStore:
    return ProfileStore(redis, keys)


def contact(userid: str = "zhangsan", tags: int = 2) -> dict[str, object]:
    return {
        "external_contact": {
            "external_userid": "wmDoc",
            "name": "王小明",
            "avatar": AVATAR,
            "type": 1,
            "gender": 2,
            "corp_name": "",
        },
        "follow_user": [
            {
                "userid": userid,
                "remark": "王先生",
                "description": "老客户，喜欢面霜",
                "createtime": 1_700_000_000,
                "state": "ch:ab12cd",
                "tags": [
                    {"group_name": "客户等级", "tag_name": f"等级{n}", "tag_id": f"et{n:030d}"}
                    for n in range(tags)
                ],
            }
        ],
    }


def test_avatar_prefixes_round_trip() -> None:
    for url in (AVATAR, "https://wework.qpic.cn/wwhead/abc/0", "https://example.com/a.png", ""):
        assert avatar_url(code_avatar(url)) == url
    assert len(code_avatar(AVATAR)) < len(AVATAR) - 20


async def test_everything_kept_and_small(
    store: ProfileStore, redis: Redis, keys: RedisKeys
) -> None:
    await store.record_contact(contact(), 1_700_000_100)
    await store.message(
        ChatText(
            msgid="m1",
            source="ingest",
            sender="customer",
            external_userid="wmDoc",
            staff_userid="zhangsan",
            text="你好",
            sent_at=1_700_000_200,
        )
    )
    profile = await store.get("wmDoc")
    assert (profile.name, profile.avatar, profile.type, profile.gender) == ("王小明", AVATAR, 1, 2)
    assert (profile.read_at, profile.messages, profile.messages_from_customer) == (
        1_700_000_100,
        1,
        1,
    )
    follow = profile.follows["zhangsan"]
    assert (follow.remark, follow.description, follow.state, follow.channel) == (
        "王先生",
        "老客户，喜欢面霜",
        "ch:ab12cd",
        "ab12cd",
    )
    assert follow.tags == [ProfileTag(f"et{n:030d}", "客户等级", f"等级{n}") for n in range(2)]
    assert (follow.added_at, follow.messages, follow.last_message_at) == (
        1_700_000_000,
        1,
        1_700_000_200,
    )
    key = keys.profile("wmDoc")
    assert await redis.type(key) == "string"
    assert int(await redis.memory_usage(key)) < 600


async def test_an_old_hash_is_carried_over_whole(
    store: ProfileStore, redis: Redis, keys: RedisKeys
) -> None:
    key = keys.profile("wmOld")
    old_tags = [{"id": "etA", "group": "兴趣", "name": "护肤"}]
    await redis.hset(
        key,
        mapping={
            "name": "李四",
            "avatar": AVATAR,
            "type": "1",
            "read_at": "1700000000",
            "messages": "5",
            "zhangsan|remark": "李姐",
            "zhangsan|tags": json.dumps(old_tags, ensure_ascii=False),
            "zhangsan|added_at": "1690000000",
            "zhangsan|deleted_by": "customer",
            "zhangsan|deleted_at": "1695000000",
            "lisi|added_at": "1691000000",
        },
    )
    before = await store.get("wmOld")  # read as it is, not rewritten by reading
    assert await redis.type(key) == "hash"
    await store.tags_changed("wmOld", "lisi", [ProfileTag("etB", "等级", "VIP")])
    assert await redis.type(key) == "string"
    after = await store.get("wmOld")
    assert after.follows["lisi"].tags == [ProfileTag("etB", "等级", "VIP")]
    after.follows["lisi"].tags = []
    assert after == before
    assert before.follows["zhangsan"] == FollowProfile(
        "zhangsan",
        remark="李姐",
        tags=[ProfileTag("etA", "兴趣", "护肤")],
        added_at=1_690_000_000,
        deleted_by="customer",
        deleted_at=1_695_000_000,
    )


async def test_updates_touch_only_what_they_know(store: ProfileStore) -> None:
    await store.record_contact(contact(), 1)
    await store.follow_deleted("wmDoc", "zhangsan", "staff", 50)
    assert (await store.get("wmDoc")).follows["zhangsan"].deleted_by == "staff"
    await store.added("wmDoc", "zhangsan", 60, "not-ours")
    follow = (await store.get("wmDoc")).follows["zhangsan"]
    # connected again; our channel stays (the new state isn't one of ours); remark kept
    assert (follow.deleted_by, follow.deleted_at, follow.added_at) == ("", 0, 60)
    assert (follow.state, follow.channel, follow.remark) == ("not-ours", "ab12cd", "王先生")
    await store.tags_changed("wmDoc", "zhangsan", [], remove_ids=[f"et{0:030d}", f"et{1:030d}"])
    assert (await store.get("wmDoc")).follows["zhangsan"].tags == []
    missing = await store.get("wmNobody")
    assert not missing.known
