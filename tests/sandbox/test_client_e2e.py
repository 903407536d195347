"""The project's real async client (`bot.wecom.WeComClient`) against the sandbox.

Tokens are cached in the real Redis of the test run (the machine's, else the embedded one);
every key lives under the test's own prefix and is deleted afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.sandbox import Sandbox, create_sandbox_app
from bot.wecom import ClientSettings, WeComClient, WeComError
from tests.sandbox.helpers import FakeClock

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
async def wecom(
    key_prefix: str, redis: Redis, sandbox: Sandbox, aiohttp_server: ServerFactory
) -> AsyncIterator[WeComClient]:
    server = await aiohttp_server(create_sandbox_app(sandbox))
    keys = RedisKeys(sandbox.corp_id, prefix=key_prefix)
    async with aiohttp.ClientSession() as session:
        yield WeComClient(
            session,
            redis,
            keys,
            base_url=str(server.make_url("")),
            corp_id=sandbox.corp_id,
            agent_id=sandbox.agent_id,
            agent_secret=sandbox.app_secret,
            contact_secret=sandbox.contact_secret,
            client_settings=ClientSettings(backoff_base_seconds=0.01, backoff_cap_seconds=0.02),
        )


async def test_welcome_through_the_client(sandbox: Sandbox, wecom: WeComClient) -> None:
    result = await sandbox.customer_adds_staff("zhangsan", "wmclient", state="ad-7")
    await wecom.external_contact.send_welcome_msg(result.welcome_code, "欢迎光临")
    assert [w.text for w in sandbox.welcomes("wmclient")] == ["欢迎光临"]
    with pytest.raises(WeComError) as refused:
        await wecom.external_contact.send_welcome_msg(result.welcome_code, "again")
    assert refused.value.errcode == 41051
    assert not refused.value.retryable
    profile = await wecom.external_contact.get("wmclient")
    assert profile["follow_user"][0]["state"] == "ad-7"


async def test_client_refreshes_a_revoked_or_expired_token_once(
    sandbox: Sandbox, wecom: WeComClient, clock: FakeClock
) -> None:
    await wecom.external_contact.get_corp_tag_list()
    sandbox.tokens.revoke(kind="contact")
    await wecom.external_contact.get_corp_tag_list()
    clock.advance(7200)  # the sandbox expires it; the client's Redis copy does not know yet
    await wecom.external_contact.get_corp_tag_list()
    answers = [c.errcode for c in sandbox.calls_to("externalcontact/get_corp_tag_list")]
    assert answers == [0, 40014, 0, 42001, 0]
    assert len(sandbox.calls_to("gettoken")) == 3


async def test_client_backs_off_on_busy_and_http_errors(
    sandbox: Sandbox, wecom: WeComClient
) -> None:
    sandbox.faults.add("message/send", errcode=-1)
    sandbox.faults.add("message/send", status=502)
    answer = await wecom.message.send_text(["zhangsan", "nobody"], "SOP 提醒")
    assert answer["invaliduser"] == "nobody"
    statuses = [(c.status, c.errcode) for c in sandbox.calls_to("message/send")]
    assert statuses == [(200, -1), (502, None), (200, 0)]
    assert [m.content["content"] for m in sandbox.app_messages("zhangsan")] == ["SOP 提醒"]


async def test_client_tags_media_and_tickets(sandbox: Sandbox, wecom: WeComClient) -> None:
    await sandbox.customer_adds_staff("lisi", "wmtag")
    group = await wecom.external_contact.add_corp_tag(["高意向"], group_name="意向")
    tag_id = group["tag"][0]["id"]
    await wecom.external_contact.mark_tag("lisi", "wmtag", add_tag=[tag_id])
    follow = sandbox.state.follow("lisi", "wmtag")
    assert follow is not None and follow.tag_ids == [tag_id]
    media_id = await wecom.media.upload("image", "poster.png", PNG)
    assert sandbox.state.media[media_id].filename == "poster.png"
    ticket = await wecom.jsapi.agent_ticket.get()
    assert ticket == sandbox.state.tickets["agent"].value
    code = sandbox.mint_oauth_code("lisi")
    assert await wecom.auth.get_user_id(code) == "lisi"
