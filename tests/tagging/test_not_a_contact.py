"""A keyword message from someone who is nobody's contact (a WeChat Customer Service visitor, or
a customer deleted since) tags nobody and fails nothing: found by the soak harness, where such
messages were dead-lettered after `externalcontact/get` answered 84061 / 40096."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.pipeline.deadletter import list_dead_letters
from bot.sandbox import Sandbox
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from tests.pipeline_support import wait_until


async def test_keyword_messages_from_non_contacts_are_not_dead_lettered(
    sandbox_bot: TestServer, live_sandbox: Sandbox, redis: Redis, sandbox_settings: Settings
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    await TagRuleStore(redis, keys).save(TagRule("", "退款", ["退款"], "售后", "退款"))
    kf = live_sandbox.add_kf_account()
    await live_sandbox.customer_adds_staff("zhangsan", "wmGone")
    await live_sandbox.customer_deletes_staff("zhangsan", "wmGone")  # 84061 from now on
    await live_sandbox.kf_message("wmGone", "我要退款", kf)
    await live_sandbox.kf_message("wmVisitor", "退款怎么办", kf)  # never added: 40096

    async def settled() -> bool:
        history = int(await redis.xlen(keys.chat_history))
        return history == 2 and int(await redis.xlen(keys.events)) == 0

    await wait_until(settled)
    assert await list_dead_letters(redis, keys) == []
    assert live_sandbox.calls_to("externalcontact/mark_tag") == []
    answers = [c.errcode for c in live_sandbox.calls_to("externalcontact/get")]
    assert 84061 in answers and 40096 in answers  # both asked, both taken as "no follower"
