"""End to end over real HTTP: sandbox → encrypted callback → pipeline → handler → sandbox API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.app import create_app
from bot.appkeys import FILTER
from bot.config import Settings
from bot.keys import RedisKeys
from bot.pipeline.deadletter import list_dead_letters, replay_dead_letters
from bot.sandbox import Sandbox
from bot.sandbox.state import AppMessage
from bot.text.library import WordLibrary
from bot.welcome.store import DEFAULT_WELCOME_TEXT
from tests.pipeline_support import wait_until

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
def sandbox(live_sandbox: Sandbox) -> Sandbox:
    return live_sandbox


@pytest.fixture
def bot_settings(sandbox_settings: Settings) -> Settings:
    return sandbox_settings


@pytest.fixture
def bot(sandbox_bot: TestServer) -> TestServer:
    return sandbox_bot


def keys_of(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


async def drained(redis: Redis, settings: Settings) -> bool:
    return int(await redis.xlen(keys_of(settings).events)) == 0


async def test_new_customer_gets_the_welcome(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    result = await sandbox.customer_adds_staff("zhangsan", "wmAlice", state="poster")
    assert result.delivery is not None and result.delivery.statuses == [200]

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmAlice"))

    await wait_until(welcomed)
    [welcome] = sandbox.welcomes("wmAlice")
    assert welcome.welcome_code == result.welcome_code
    assert welcome.text == DEFAULT_WELCOME_TEXT
    assert welcome.userid == "zhangsan"
    [call] = sandbox.calls_to("externalcontact/send_welcome_msg")
    assert call.errcode == 0
    await wait_until(lambda: drained(redis, bot_settings))


async def test_retried_callback_sends_one_welcome(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    result = await sandbox.customer_adds_staff("zhangsan", "wmBob")
    assert sandbox.driver is not None
    for _ in range(3):  # WeCom's retries: same XML, fresh encryption
        again = await sandbox.driver.deliver(result.xml)
        assert again.statuses == [200]
    await wait_until(lambda: drained(redis, bot_settings))
    await asyncio.sleep(0.3)
    assert len(sandbox.calls_to("externalcontact/send_welcome_msg")) == 1
    assert len(sandbox.welcomes("wmBob")) == 1


async def test_no_welcome_code_means_no_call(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    result = await sandbox.customer_adds_staff("lisi", "wmCarol")  # native welcome configured
    assert result.welcome_code == ""
    await wait_until(lambda: drained(redis, bot_settings))
    assert sandbox.calls_to("externalcontact/send_welcome_msg") == []


async def test_rate_limit_answers_are_backed_off_and_retried(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    sandbox.faults.add("externalcontact/send_welcome_msg", errcode=45009, times=2)
    await sandbox.customer_adds_staff("zhangsan", "wmDave")

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmDave"))

    await wait_until(welcomed)
    codes = [call.errcode for call in sandbox.calls_to("externalcontact/send_welcome_msg")]
    assert codes == [45009, 45009, 0]


async def test_upstream_5xx_is_retried(bot: TestServer, sandbox: Sandbox) -> None:
    sandbox.faults.add("externalcontact/send_welcome_msg", status=502, times=1)
    await sandbox.customer_adds_staff("zhangsan", "wmErin")

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmErin"))

    await wait_until(welcomed)


async def test_already_used_code_is_final_not_retried(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    sandbox.faults.add("externalcontact/send_welcome_msg", errcode=41051, times=5)
    await sandbox.customer_adds_staff("zhangsan", "wmFrank")
    await wait_until(lambda: drained(redis, bot_settings))
    await asyncio.sleep(0.3)
    assert len(sandbox.calls_to("externalcontact/send_welcome_msg")) == 1
    assert await list_dead_letters(redis, keys_of(bot_settings)) == []


@pytest.mark.parametrize(("invalidate", "errcode"), [("expire", 42001), ("revoke", 40014)])
async def test_stale_token_is_refreshed(
    invalidate: str,
    errcode: int,
    bot: TestServer,
    sandbox: Sandbox,
    redis: Redis,
    bot_settings: Settings,
) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wmGina")

    async def welcomed(who: str) -> bool:
        return bool(sandbox.welcomes(who))

    await wait_until(lambda: welcomed("wmGina"))
    # every handler of the first event done: none of them may meet the dropped token instead
    # of the next welcome (on a busy machine the profile lookup could still be in flight)
    await wait_until(lambda: drained(redis, bot_settings))
    getattr(sandbox.tokens, invalidate)()  # WeCom drops the token the bot has cached
    await sandbox.customer_adds_staff("zhangsan", "wmHank")
    await wait_until(lambda: welcomed("wmHank"))
    codes = [call.errcode for call in sandbox.calls_to("externalcontact/send_welcome_msg")]
    assert codes == [0, errcode, 0]
    assert len([c for c in sandbox.calls_to("gettoken") if c.errcode == 0]) == 2


async def test_kf_messages_are_pulled_and_stored(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    open_kfid = sandbox.add_kf_account()
    first = await sandbox.kf_message("wmIvy", "你们几点下班？", open_kfid)
    keys = keys_of(bot_settings)

    async def stored(count: int) -> bool:
        return int(await redis.xlen(keys.chat_history)) == count

    await wait_until(lambda: stored(1))
    await sandbox.kf_message("wmIvy", "好的谢谢", open_kfid)
    await wait_until(lambda: stored(2))
    rows = await redis.xrange(keys.chat_history)
    messages = [json.loads(fields["json"]) for _, fields in rows]
    assert [m["text"] for m in messages] == ["你们几点下班？", "好的谢谢"]
    assert messages[0]["msgid"] == first.msg_id
    assert {(m["source"], m["sender"], m["external_userid"]) for m in messages} == {
        ("kf", "customer", "wmIvy")
    }
    calls = sandbox.calls_to("kf/sync_msg")
    assert calls[0].body is not None and calls[0].body["token"] == first.kf_token
    assert calls[1].body is not None and calls[1].body.get(
        "cursor"
    )  # resumes from the saved cursor


async def test_permanent_failure_dead_letters_then_replays(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    open_kfid = sandbox.add_kf_account()
    sandbox.faults.add("kf/sync_msg", errcode=48002, times=1)
    await sandbox.kf_message("wmJack", "在吗", open_kfid)
    keys = keys_of(bot_settings)

    async def dead() -> bool:
        return len(await list_dead_letters(redis, keys)) == 1

    await wait_until(dead)
    [letter] = await list_dead_letters(redis, keys)
    assert "48002" in letter.error
    await replay_dead_letters(redis, keys, None)

    async def stored() -> bool:
        return int(await redis.xlen(keys.chat_history)) == 1

    await wait_until(stored)


async def test_other_events_are_acknowledged(
    bot: TestServer, sandbox: Sandbox, redis: Redis, bot_settings: Settings
) -> None:
    added = await sandbox.customer_adds_staff("zhangsan", "wmKate")

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmKate"))

    await wait_until(welcomed)
    results = [
        await sandbox.customer_joins_group(None, ["wmKate", "wmLeo"], owner="zhangsan"),
        await sandbox.staff_sends_text("lisi", "帮助"),
        await sandbox.customer_deletes_staff("zhangsan", added.external_userid),
    ]
    assert all(result.delivered for result in results)
    await wait_until(lambda: drained(redis, bot_settings))
    assert await list_dead_letters(redis, keys_of(bot_settings)) == []
    text = await (await sandbox_bot_metrics(bot)).text()
    assert 'scrm_events_handled_total{event="ExternalChatUpdate",outcome="ok"} 1.0' in text
    assert 'scrm_events_handled_total{event="TextMessage",outcome="ok"} 1.0' in text
    assert (
        'scrm_wecom_api_calls_total{errcode="0",path="externalcontact/send_welcome_msg"} 1.0'
        in text
    )


async def sandbox_bot_metrics(bot: TestServer) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        response = await session.get(bot.make_url("/metrics"))
        await response.read()
        return response


async def test_callback_and_worker_roles_split_the_work(
    bot_settings: Settings, sandbox: Sandbox, aiohttp_server: ServerFactory
) -> None:
    front = await aiohttp_server(create_app(bot_settings, role="callback"))
    worker = await aiohttp_server(create_app(bot_settings, role="worker"))
    async with aiohttp.ClientSession() as session:
        refused = await session.post(worker.make_url("/wecom/callback"), data="<xml/>")
        assert refused.status == 404  # a worker takes no callbacks
        assert (await session.get(worker.make_url("/healthz"))).status == 200
    sandbox.connect_bot(
        str(front.make_url("/wecom/callback")), bot_settings.token, bot_settings.aes_key
    )
    await sandbox.customer_adds_staff("zhangsan", "wmMia")

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmMia"))

    await wait_until(welcomed)  # received by one process, sent by the other


async def bot_with_a_word(
    bot_settings: Settings, sandbox: Sandbox, aiohttp_server: ServerFactory, redis: Redis
) -> Settings:
    """A bot alerting lisi (an admin), whose filter already holds the block word 竞品甲."""
    settings = replace(bot_settings, admins=frozenset({"lisi"}))
    app = create_app(settings)
    server = await aiohttp_server(app)
    sandbox.connect_bot(str(server.make_url("/wecom/callback")), settings.token, settings.aes_key)
    reloader = app[FILTER]
    reloader.reloaded.clear()
    await WordLibrary(redis, keys_of(settings)).add([(1, "竞品甲", "competitor")])
    await asyncio.wait_for(reloader.reloaded.wait(), timeout=2)
    return settings


async def test_sensitive_customer_text_alerts_admins_once(
    bot_settings: Settings, sandbox: Sandbox, aiohttp_server: ServerFactory, redis: Redis
) -> None:
    settings = await bot_with_a_word(bot_settings, sandbox, aiohttp_server, redis)

    open_kfid = sandbox.add_kf_account()
    await sandbox.kf_message("wmNina", "你们比竞品-甲便宜吗", open_kfid)
    await sandbox.kf_message("wmNina", "竞品甲的更好", open_kfid)

    async def logged() -> bool:
        return int(await redis.xlen(keys_of(settings).text_hits)) == 2

    def alerts() -> list[AppMessage]:
        return [m for m in sandbox.app_messages("lisi") if "敏感词提醒" in m.content["content"]]

    async def alerted() -> bool:
        return bool(alerts())

    await wait_until(logged)
    await wait_until(alerted)  # the alert goes out after the hit is logged

    async def settled() -> bool:
        return int(await redis.xlen(keys_of(settings).events)) == 0

    await wait_until(settled)
    [alert] = alerts()  # the same customer and word alert once an hour
    content = alert.content["content"]
    # the two messages are handled concurrently: whichever came first alerted
    assert "wmNina" in content and ("竞品-甲便宜" in content or "竞品甲的更好" in content)


async def test_a_members_sensitive_text_names_the_member(
    bot_settings: Settings, sandbox: Sandbox, aiohttp_server: ServerFactory, redis: Redis
) -> None:
    await bot_with_a_word(bot_settings, sandbox, aiohttp_server, redis)
    await sandbox.staff_sends_text("zhangsan", "我看竞品甲在打折")

    def alerts() -> list[str]:
        texts = [m.content.get("content", "") for m in sandbox.app_messages("lisi")]
        return [t for t in texts if "敏感词提醒" in t]

    async def alerted() -> bool:
        return bool(alerts())

    await wait_until(alerted)
    assert alerts()[0].startswith("【敏感词提醒】张三（zhangsan） 在应用消息中发来的消息含有")
