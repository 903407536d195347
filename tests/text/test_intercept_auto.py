"""Block words reach WeCom's intercept rules by themselves: a word an admin adds by chat is in the
sandbox's rules a few seconds later without anyone running `words sync`; a failure is kept,
shown and retried; the state shows in 敏感词 列表 and `scrm-bot words list`."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.text.intercept_auto import InterceptSyncer, read_state
from bot.text.starter import seed_starter_words
from bot.wecom import WeComClient
from tests.admin.test_admin_chat_e2e import admin_bot, admin_settings, say
from tests.helpers import cli_env
from tests.pipeline_support import wait_until

__all__ = ["admin_bot", "admin_settings"]  # fixtures shared with the end-to-end admin tests


def words_in_wecom(sandbox: Sandbox) -> set[str]:
    return {word for rule in sandbox.state.rules.values() for word in rule.word_list}


async def test_a_word_added_by_chat_reaches_wecom_without_a_manual_sync(
    admin_bot: TestServer, admin_settings: Settings, live_sandbox: Sandbox, redis: Redis
) -> None:
    await say(live_sandbox, "admin1", "敏感词 新增 竞品 | 竞品丙")

    async def synced() -> bool:
        return "竞品丙" in words_in_wecom(live_sandbox)

    await wait_until(synced, timeout=30)  # 5 s of quiet, then the next 2 s check
    assert "全网最低" in words_in_wecom(live_sandbox)  # the starter list went with it
    keys = RedisKeys(admin_settings.corp_id, admin_settings.key_prefix)

    async def recorded() -> bool:
        return not (await read_state(redis, keys)).pending

    await wait_until(recorded)
    listing = await say(live_sandbox, "admin1", "敏感词 列表")
    assert listing.splitlines()[0].startswith("企业微信事前拦截：已同步（")


async def test_a_failed_sync_is_shown_and_retried(
    admin_settings: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    sandbox_wecom: WeComClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keys = RedisKeys(admin_settings.corp_id, admin_settings.key_prefix)
    syncer = InterceptSyncer(redis, keys, sandbox_wecom.intercept)
    await seed_starter_words(redis, keys)  # as the CLI would on its first run
    await redis.hset(keys.words, "竞品丁", "competitor")
    await redis.incr(keys.words_version)
    live_sandbox.faults.add("externalcontact/add_intercept_rule", errcode=48002, times=1)
    now = time.time()
    assert await syncer.tick(now) is None  # first sight: the quiet period starts
    assert await syncer.tick(now + 1) is None  # not quiet long enough yet
    assert await syncer.tick(now + 6) is None  # WeCom failed: kept for a retry
    state = await read_state(redis, keys)
    assert state.pending and state.attempts == 1 and state.error.startswith("48002")
    assert "同步失败" in state.describe() and "自动重试" in state.describe()
    assert await syncer.tick(now + 7) is None  # the retry waits its delay
    assert words_in_wecom(live_sandbox) == set()
    report = await syncer.tick(now + 6 + 11)
    assert report is not None and "竞品丁" in words_in_wecom(live_sandbox)
    state = await read_state(redis, keys)
    assert not state.pending and state.error == "" and state.attempts == 0

    for key, value in cli_env(admin_settings).items():
        monkeypatch.setenv(key, value)
    assert await asyncio.to_thread(main, ["words", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)["intercept_sync"]
    assert listed["pending"] is False and listed["words"] == state.words
