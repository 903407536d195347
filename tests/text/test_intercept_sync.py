"""Intercept-rule sync against the sandbox: chunked, diff-based, idempotent, nothing dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.text.intercept_sync import sync_intercept_rules
from bot.text.library import WordLibrary
from bot.wecom import WeComClient


@pytest.fixture
async def wecom(sandbox_settings: Settings, redis: Redis) -> AsyncIterator[WeComClient]:
    async with aiohttp.ClientSession() as session:
        yield WeComClient.from_settings(sandbox_settings, session, redis)


def words(n: int) -> list[tuple[int, str, str]]:
    return [(i, f"竞品{i:04d}", "competitor") for i in range(n)]


async def test_thousand_words_four_rules_then_only_the_affected_rule(
    live_sandbox: Sandbox, sandbox_settings: Settings, redis: Redis, wecom: WeComClient
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    library = WordLibrary(redis, keys)
    await library.add(words(1000))
    await library.add([(1, "广告费", "industry")])  # flag action: not a WeCom intercept word

    first = await sync_intercept_rules(await library.snapshot(), wecom.intercept, redis, keys)
    assert len(first.created) == 4 and first.updated == [] and first.rejected == []
    rules = live_sandbox.state.rules
    assert sorted(len(rule.word_list) for rule in rules.values()) == [100, 300, 300, 300]
    assert all("广告费" not in rule.word_list for rule in rules.values())

    # ten words that all sit in one rule
    holder = next(rule for rule in rules.values() if "竞品0005" in rule.word_list)
    gone = holder.word_list[:10]
    assert await library.remove(gone) == 10
    calls_before = len(live_sandbox.calls)
    second = await sync_intercept_rules(await library.snapshot(), wecom.intercept, redis, keys)
    assert second.updated == [holder.rule_id]
    assert second.created == [] and second.deleted == [] and second.unchanged == 3
    assert not set(gone) & set(holder.word_list)
    update_calls = [c for c in live_sandbox.calls[calls_before:] if "intercept" in c.path]
    assert [c.path for c in update_calls] == ["externalcontact/update_intercept_rule"]

    third = await sync_intercept_rules(await library.snapshot(), wecom.intercept, redis, keys)
    assert (third.created, third.updated, third.deleted) == ([], [], [])  # idempotent


async def test_new_words_fill_free_room_and_long_words_are_listed(
    live_sandbox: Sandbox, sandbox_settings: Settings, redis: Redis, wecom: WeComClient
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    library = WordLibrary(redis, keys)
    await library.add(words(10))
    await sync_intercept_rules(await library.snapshot(), wecom.intercept, redis, keys)
    long_word = "超" * 33
    await library.add([(1, "新竞品", "competitor"), (2, long_word, "competitor")])
    report = await sync_intercept_rules(await library.snapshot(), wecom.intercept, redis, keys)
    assert len(report.updated) == 1 and report.created == []
    assert report.rejected == [(long_word, "超过企业微信敏感词 32 个字符的上限")]
    [rule] = live_sandbox.state.rules.values()
    assert "新竞品" in rule.word_list and len(rule.word_list) == 11

    await library.remove([w for _, w, _ in words(10)] + ["新竞品", long_word])
    report = await sync_intercept_rules(await library.snapshot(), wecom.intercept, redis, keys)
    assert report.deleted == [rule.rule_id]
    assert live_sandbox.state.rules == {}
