"""Corp tags by name through the sandbox: cached, created once when missing."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.tagging.tags import CorpTags
from bot.wecom import WeComClient


async def test_missing_tags_are_created_once_and_then_cached(
    live_sandbox: Sandbox, sandbox_settings: Settings, sandbox_wecom: WeComClient, redis: Redis
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    tags = CorpTags(redis, keys, sandbox_wecom.external_contact)
    ids = await asyncio.gather(*(tags.tag_id("兴趣", "水果") for _ in range(5)))
    assert len(set(ids)) == 1  # five at once: one tag in WeCom
    assert len(live_sandbox.calls_to("externalcontact/add_corp_tag")) == 1
    [group] = [g for g in live_sandbox.state.tag_groups.values() if g.group_name == "兴趣"]
    assert [live_sandbox.state.tags[t].name for t in group.tag_ids] == ["水果"]
    reads = len(live_sandbox.calls_to("externalcontact/get_corp_tag_list"))
    assert await tags.tag_id("兴趣", "水果") == ids[0]
    assert len(live_sandbox.calls_to("externalcontact/get_corp_tag_list")) == reads  # cached
    assert await tags.names([ids[0], "nope"]) == {ids[0]: "兴趣/水果"}


async def test_tags_added_in_the_console_are_found_not_duplicated(
    live_sandbox: Sandbox, sandbox_settings: Settings, sandbox_wecom: WeComClient, redis: Redis
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    tags = CorpTags(redis, keys, sandbox_wecom.external_contact)
    assert await tags.refresh() == 0
    console = await sandbox_wecom.external_contact.add_corp_tag(["高价值"], group_name="RFM")
    assert await tags.tag_id("RFM", "高价值", create=False) == console["tag"][0]["id"]
    assert await tags.tag_id("RFM", "不存在", create=False) is None
    assert live_sandbox.calls_to("externalcontact/add_corp_tag")[-1].body == {
        "group_name": "RFM",
        "tag": [{"name": "高价值"}],
    }
