"""Templates through the real interfaces: admin chat refuses what is unbounded or renders a
block word, a bomb stored before these rules goes out as plain text (not a poison pill), and
what leaves the bot is checked after rendering with the word library as it is at send time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.app import create_app
from bot.appkeys import FILTER
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.text.library import WordLibrary
from bot.welcome.store import DEFAULT_WELCOME_TEXT, WelcomeStore, scope_key
from bot.welcome.templates import WelcomeTemplate
from scripts_library.scripts import Script, ScriptStore
from tests.pipeline_support import wait_until

BOMB = (
    "{% for i in range(10**5) %}{% for j in range(1000) %}{{ 'x'*30000 }}{% endfor %}{% endfor %}"
)
DEFERRED = "{% if staff_name != '示例' %}{% for i in range(10**9) %}{{ 'x' * 100000 }}{% endfor %}{% endif %}"


@pytest.fixture
def bot_settings(sandbox_settings: Settings, live_sandbox: Sandbox) -> Settings:
    live_sandbox.add_staff("admin1", "管理员")
    return replace(sandbox_settings, admins=frozenset({"admin1"}))


@pytest.fixture
async def bot(
    bot_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any
) -> web.Application:
    app = create_app(bot_settings)
    server = await aiohttp_server(app)
    live_sandbox.connect_bot(
        str(server.make_url("/wecom/callback")), bot_settings.token, bot_settings.aes_key
    )
    return app


@pytest.fixture
def keys(bot_settings: Settings) -> RedisKeys:
    return RedisKeys(bot_settings.corp_id, bot_settings.key_prefix)


async def say(sandbox: Sandbox, text: str) -> str:
    before = len(sandbox.app_messages("admin1"))
    result = await sandbox.staff_sends_text("admin1", text)
    if result.passive_reply:
        return result.passive_reply

    async def answered() -> bool:
        return len(sandbox.app_messages("admin1")) > before

    await wait_until(answered)
    return str(sandbox.app_messages("admin1")[-1].content["content"])


async def block(app: web.Application, redis: Redis, keys: RedisKeys, word: str) -> None:
    """Block `word` and wait until this process's filter has it."""
    reloader = app[FILTER]
    reloader.reloaded.clear()
    await WordLibrary(redis, keys).add([(1, word, "custom")])
    await asyncio.wait_for(reloader.reloaded.wait(), timeout=5)


async def store_unchecked(redis: Redis, keys: RedisKeys, template: WelcomeTemplate) -> None:
    """A template as one saved before today's checks (or edited in Redis by hand) lies there."""
    await redis.hset(keys.welcome_templates, template.id, template.to_json())
    await redis.hset(keys.welcome_scopes, scope_key(template.scope, template.target), template.id)


@pytest.mark.parametrize(
    ("text", "named"),
    [(BOMB, "循环（for）"), (DEFERRED, "循环（for）"), ("{{ 'a' * 300000000 }}", "算术运算")],
)
async def test_admin_chat_refuses_a_template_bomb_and_stores_nothing(
    bot: web.Application,
    live_sandbox: Sandbox,
    redis: Redis,
    keys: RedisKeys,
    text: str,
    named: str,
) -> None:
    for command in (
        f"话术 新增 测试/炸弹 | 炸弹 | {text}",
        f"欢迎语 新增 渠道 bomb | 炸弹 | {text}",
    ):
        reply = await say(live_sandbox, command)
        assert "没有保存" in reply or "不支持" in reply, reply
        assert named in reply
    assert await ScriptStore(redis, keys).all() == []
    assert await WelcomeStore(redis, keys).choose_exact("channel", "bomb") is None


@pytest.mark.parametrize(
    "text",
    [
        "全网最{# 注释 #}低价",
        "全网最{% if customer_name %}{% endif %}低价",
        "{{ '全网最' ~ '低价' }}",
        "{% if customer_name %}您好{% else %}全网最低价{% endif %}",
    ],
)
async def test_admin_chat_refuses_text_that_renders_a_block_word(
    bot: web.Application, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys, text: str
) -> None:
    await block(bot, redis, keys, "全网最低价")
    reply = await say(live_sandbox, f"欢迎语 新增 渠道 sale | 促销 | {text}")
    assert "没有保存" in reply and "禁止使用的词" in reply and "全网最" in reply, reply
    assert await WelcomeStore(redis, keys).choose_exact("channel", "sale") is None


async def test_a_bomb_stored_before_goes_out_as_plain_text_not_as_a_poison_pill(
    bot: web.Application, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    bomb = WelcomeTemplate("old1", "旧模板", "channel", "poster", f"欢迎光临{DEFERRED}！")
    await store_unchecked(redis, keys, bomb)
    await live_sandbox.customer_adds_staff("zhangsan", "wmBomb", state="poster")

    async def welcomed() -> bool:
        return bool(live_sandbox.welcomes("wmBomb"))

    await wait_until(welcomed)
    assert live_sandbox.welcomes("wmBomb")[0].text == "欢迎光临！"
    assert await redis.xlen(keys.dead_letters) == 0
    assert (await WelcomeStore(redis, keys).stats())["template:old1:sent"] == 1


async def test_a_word_blocked_after_save_sends_the_default_welcome_instead(
    bot: web.Application, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    store = WelcomeStore(redis, keys)
    spring = await store.save(
        WelcomeTemplate(
            "",
            "春季",
            "channel",
            "spring",
            "{{ customer_name }}您好，春季特惠进行中",
            text_without_name="您好，春季特惠进行中",
        ),
        None,
    )
    await block(bot, redis, keys, "春季特惠")
    await live_sandbox.customer_adds_staff("zhangsan", "wmSpring", name="欧丽芙", state="spring")

    async def welcomed() -> bool:
        return bool(live_sandbox.welcomes("wmSpring"))

    await wait_until(welcomed)
    assert live_sandbox.welcomes("wmSpring")[0].text == DEFAULT_WELCOME_TEXT
    stats = await store.stats()
    assert stats[f"template:{spring.id}:fallback"] == 1 and stats["template:default:sent"] == 1


async def test_nothing_goes_when_the_default_is_blocked_too(
    bot: web.Application, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    await store_unchecked(
        redis, keys, WelcomeTemplate("default", "默认", "default", "", "您好，全网最{# #}低价！")
    )
    await block(bot, redis, keys, "全网最低价")
    await live_sandbox.customer_adds_staff("zhangsan", "wmNone")
    store = WelcomeStore(redis, keys)

    async def counted() -> bool:
        return (await store.stats()).get("template:default:blocked") == 1

    await wait_until(counted)
    assert live_sandbox.welcomes("wmNone") == []


async def test_an_admin_reply_stars_a_word_blocked_since_the_script_was_saved(
    bot: web.Application, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    script = await ScriptStore(redis, keys).save(
        Script(id="", category="售后", title="退货", text="我们是全网最低价，放心买"),
        "admin1",
        None,
    )
    await block(bot, redis, keys, "全网最低价")
    reply = await say(live_sandbox, f"话术 查看 {script.id}")
    assert "全网最低价" not in reply and "我们是*****，放心买" in reply, reply
