"""A time slot inherits what it does not set: the template's attachments when it has none, the
template's text when it has none. Through the sandbox, as the customer receives it."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TimeSlot, WelcomeTemplate
from tests.pipeline_support import wait_until

CARD = {"msgtype": "link", "link": {"title": "新品上市", "url": "https://example.com/new"}}
POSTER = {"msgtype": "link", "link": {"title": "双十二海报", "url": "https://example.com/1212"}}


@pytest.fixture
def store(redis: Redis, sandbox_settings: Settings) -> WelcomeStore:
    return WelcomeStore(redis, RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix))


async def welcome_of(sandbox: Sandbox, who: str) -> tuple[str, list[str]]:
    async def arrived() -> bool:
        return bool(sandbox.welcomes(who))

    await wait_until(arrived)
    [welcome] = sandbox.welcomes(who)
    return welcome.text, [a["link"]["title"] for a in welcome.attachments]


async def test_a_slot_with_text_only_keeps_the_templates_attachments(
    sandbox_bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    slot = TimeSlot("活动期间，全场包邮！", date_from="2020-01-01")  # matches now
    template = WelcomeTemplate(
        "", "张三专属", "staff", "zhangsan", "您好！", attachments=[CARD], slots=[slot]
    )
    await store.save(template, None)
    await live_sandbox.customer_adds_staff("zhangsan", "wmSlot1", name="甲")
    assert await welcome_of(live_sandbox, "wmSlot1") == ("活动期间，全场包邮！", ["新品上市"])


async def test_a_slot_with_attachments_only_keeps_the_templates_text(
    sandbox_bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    slot = TimeSlot("", attachments=[POSTER], date_from="2020-01-01")
    template = WelcomeTemplate(
        "",
        "张三专属",
        "staff",
        "zhangsan",
        "{{ customer_name }}您好！",
        attachments=[CARD],
        text_without_name="您好！",
        slots=[slot],
    )
    await store.save(template, None)
    await live_sandbox.customer_adds_staff("zhangsan", "wmSlot2", name="乙")
    assert await welcome_of(live_sandbox, "wmSlot2") == ("乙您好！", ["双十二海报"])
