"""The shipped default template is there for every first welcome at once: found while checking
the soak harness's worker kills, where concurrent first welcomes (or a crash between the two
writes that create it) found the template without its scope and sent nothing."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.welcome.store import DEFAULT_WELCOME_TEXT, WelcomeStore


async def test_concurrent_first_welcomes_all_find_the_default(
    redis: Redis, settings: Settings
) -> None:
    store = WelcomeStore(redis, RedisKeys(settings.corp_id, settings.key_prefix))
    found = await asyncio.gather(*(store.ensure_default() for _ in range(20)))
    assert all(t is not None and t.text == DEFAULT_WELCOME_TEXT for t in found)


async def test_a_default_left_without_its_scope_is_repaired(
    redis: Redis, settings: Settings
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    store = WelcomeStore(redis, keys)
    await store.ensure_default()
    await redis.delete(keys.welcome_scopes)  # a process died between the two writes
    repaired = await store.ensure_default()
    assert repaired is not None and repaired.id == "default"
