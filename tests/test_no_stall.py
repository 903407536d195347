"""Nothing an admin saves stalls the bot: while the costliest template the language allows is
saved (and the bombs it refuses), and while a corp's tag rules at their bounds are compiled
with a maximal keyword, /healthz keeps answering and a customer who adds a member meanwhile
gets the welcome. (The 100 ms figure is measured in benchmarks/; this bound only needs to
tell a 30 s freeze from a busy machine.)"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.app import create_app
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.text.lexicon import MAX_WORD_CHARS
from scripts_library.scripts import ScriptStore
from tests.pipeline_support import wait_until

PROBE_EVERY = 0.02
STALL_BOUND = 2.0
WORST = "{% if customer_name == 'a' %}b{% elif date %}c{% endif %}" * 70  # 3,850 bytes
BOMBS = [
    "{% for i in range(10**5) %}{% for j in range(1000) %}{{ 'x'*30000 }}{% endfor %}{% endfor %}",
    "{% if staff_name != '示例' %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endif %}",
    "{{ 'a' * 300000000 }}",
]


def cjk_words(rng: random.Random, count: int) -> list[str]:
    return [
        "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(MAX_WORD_CHARS))
        for _ in range(count)
    ]


@pytest.fixture
def bot_settings(sandbox_settings: Settings, live_sandbox: Sandbox) -> Settings:
    live_sandbox.add_staff("admin1", "管理员")
    return replace(sandbox_settings, admins=frozenset({"admin1"}))


@pytest.fixture
async def healthz(bot_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any) -> str:
    """The bot, connected to the sandbox; its /healthz URL."""
    server = await aiohttp_server(create_app(bot_settings))
    live_sandbox.connect_bot(
        str(server.make_url("/wecom/callback")), bot_settings.token, bot_settings.aes_key
    )
    return str(server.make_url("/healthz"))


async def probe(url: str, stop: asyncio.Event, seen: list[float]) -> None:
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            start = time.monotonic()
            async with http.get(url) as answer:
                assert answer.status == 200
            seen.append(time.monotonic() - start)
            await asyncio.sleep(PROBE_EVERY)


async def test_healthz_answers_and_the_welcome_goes_while_the_worst_is_saved_and_compiled(
    healthz: str, live_sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    keys = RedisKeys(bot_settings.corp_id, bot_settings.key_prefix)
    rng = random.Random(16)
    rules = TagRuleStore(redis, keys)
    for n in range(15):  # 96,000 characters of keywords: the per-corp bound is 100,000
        await rules.save(TagRule("", f"规则{n}", cjk_words(rng, 100), "压测", f"标签{n}"))
    [keyword] = cjk_words(rng, 1)
    open_kfid = live_sandbox.add_kf_account()
    await live_sandbox.customer_adds_staff("zhangsan", "wmTalker")

    stop, seen = asyncio.Event(), []
    prober = asyncio.create_task(probe(healthz, stop, seen))
    await asyncio.sleep(0.2)
    for bomb in BOMBS:  # refused (tests/templating shows how); here: at no cost to the loop
        await live_sandbox.staff_sends_text("admin1", f"话术 新增 压测/炸弹 | 炸弹 | {bomb}")
    saved = await live_sandbox.staff_sends_text("admin1", f"话术 新增 压测/最重 | 最重 | {WORST}")
    added = await live_sandbox.staff_sends_text(
        "admin1", f"标签规则 新增 最长词 | 压测/最长 | {keyword}"
    )
    await live_sandbox.customer_adds_staff("zhangsan", "wmNewcomer")
    await live_sandbox.kf_message("wmTalker", f"我想问问{keyword}", open_kfid)

    async def welcomed() -> bool:
        return bool(live_sandbox.welcomes("wmNewcomer"))

    async def tagged() -> bool:
        return any(c.errcode == 0 for c in live_sandbox.calls_to("externalcontact/mark_tag"))

    await wait_until(welcomed)
    await wait_until(tagged, timeout=30)
    stop.set()
    await prober
    assert saved.delivered and added.delivered
    assert [s.title for s in await ScriptStore(redis, keys).all()] == ["最重"]
    assert len(seen) > 10 and max(seen) < STALL_BOUND, sorted(seen)[-5:]
