"""Who a mass-send audience reaches, read from stored profiles by one script a batch: tags (all
of / any of, by id, name or group/name, on any live relation), RFM segment, channel, added
within, members or departments; one sender per customer, the newest live relation, ties to the
smallest userid; deleted relations never send."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.mass.audience import AudienceReader, glob_escape
from bot.mass.model import Audience
from bot.profiles.store import ProfileStore

NOW = int(time.time())
DAY = 86400


def _follow(userid: str, days_ago: float, *tags: str, state: str = "") -> dict[str, Any]:
    return {
        "userid": userid,
        "createtime": int(NOW - days_ago * DAY),
        "state": state,
        "tags": [
            {"tag_id": f"et{t}", "group_name": "兴趣", "tag_name": t, "type": 1} for t in tags
        ],
    }


async def _reader(
    settings: Settings, redis: Redis, departments: dict[str, list[int]]
) -> AudienceReader:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    profiles = ProfileStore(redis, keys)
    rows = {
        "wmA": [_follow("zhangsan", 10, "美妆"), _follow("lisi", 2, "母婴")],
        "wmB": [_follow("zhangsan", 3, "美妆", "母婴", state="ch:c1")],
        "wmC": [_follow("lisi", 40, "美妆"), _follow("wangwu", 40)],  # a tie: lisi
        "wmD": [_follow("wangwu", 1, "母婴")],
        "wmE": [_follow("zhangsan", 1, "美妆")],  # deleted below: nobody sends
    }
    for eid, follows in rows.items():
        await profiles.record_contact(
            {"external_contact": {"external_userid": eid}, "follow_user": follows}, NOW
        )
    await profiles.follow_deleted("wmE", "zhangsan", "customer", NOW)
    await redis.hset(
        keys.rfm_segments,
        mapping={
            "wmA": json.dumps({"segment": "重要价值"}),
            "wmD": json.dumps({"segment": "一般挽留"}),
        },
    )

    async def lookup(userid: str) -> list[int]:
        return departments.get(userid, [])

    return AudienceReader(redis, keys, lookup)


async def _picks(reader: AudienceReader, audience: Audience) -> dict[str, str]:
    found: dict[str, str] = {}
    async for batch in reader.customers(audience, NOW):
        for pick in batch:
            assert pick.external_userid not in found
            found[pick.external_userid] = pick.member
    return found


async def test_criteria_and_the_sending_member(settings: Settings, redis: Redis) -> None:
    reader = await _reader(settings, redis, {"wangwu": [7]})
    assert await _picks(reader, Audience()) == {
        "wmA": "lisi",  # the newer relation
        "wmB": "zhangsan",
        "wmC": "lisi",  # added at the same time: the smaller userid
        "wmD": "wangwu",
    }
    assert set(await _picks(reader, Audience(tags_all=("美妆", "兴趣/母婴")))) == {"wmA", "wmB"}
    assert set(await _picks(reader, Audience(tags_any=("et母婴",)))) == {"wmA", "wmB", "wmD"}
    assert set(await _picks(reader, Audience(segments=("重要价值",)))) == {"wmA"}
    assert await _picks(reader, Audience(channels=("c1",))) == {"wmB": "zhangsan"}
    # added within 5 days: wmA's lisi relation (2 days) qualifies, zhangsan's (10) doesn't
    assert await _picks(reader, Audience(added_within_days=5)) == {
        "wmA": "lisi",
        "wmB": "zhangsan",
        "wmD": "wangwu",
    }
    # only zhangsan sends: wmA goes through zhangsan though lisi is newer
    assert await _picks(reader, Audience(staff=("zhangsan",))) == {
        "wmA": "zhangsan",
        "wmB": "zhangsan",
    }
    # members or departments: wangwu is in department 7
    assert await _picks(reader, Audience(staff=("zhangsan",), departments=(7,))) == {
        "wmA": "zhangsan",
        "wmB": "zhangsan",
        "wmC": "wangwu",
        "wmD": "wangwu",
    }
    assert await _picks(reader, Audience(tags_all=("不存在",))) == {}


def test_scan_patterns_take_the_prefix_literally() -> None:
    assert glob_escape("a*b?[c]\\d") == "a\\*b\\?\\[c\\]\\\\d"
