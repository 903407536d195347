"""Encrypted callback delivery: a tiny receiver checks the signature, decrypts with
CallbackCrypto and parses with bot.events, the way the bot's endpoint will."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.callback.crypto import CallbackCrypto
from bot.events import (
    AddExternalContact,
    DelExternalContact,
    DelFollowUser,
    ExternalChatCreate,
    ExternalChatUpdate,
    KfMsgOrEvent,
    TextMessage,
    parse_event,
    parse_xml,
)
from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api, FakeClock

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Receiver:
    """A bot callback endpoint that fails or stalls on its first `bad` requests."""

    def __init__(self, corp_id: str, fail_with: int | None = None, stall: float = 0.0) -> None:
        self.crypto = CallbackCrypto(TOKEN, AES_KEY, corp_id)
        self.fail_with = fail_with
        self.stall = stall
        self.bad = 0
        self.envelopes: list[dict[str, Any]] = []
        self.xml: list[str] = []
        self.echo_suffix = ""

    async def post(self, request: web.Request) -> web.Response:
        envelope = parse_xml(await request.text())
        query = request.query
        xml = self.crypto.verify_and_decrypt(
            query["msg_signature"], query["timestamp"], query["nonce"], envelope["Encrypt"]
        )
        self.envelopes.append(envelope)
        self.xml.append(xml)
        if len(self.xml) <= self.bad:
            if self.stall:
                await asyncio.sleep(self.stall)
            if self.fail_with is not None:
                return web.Response(status=self.fail_with)
        return web.Response(text="success")

    async def get(self, request: web.Request) -> web.Response:
        query = request.query
        plain = self.crypto.verify_and_decrypt(
            query["msg_signature"], query["timestamp"], query["nonce"], query["echostr"]
        )
        return web.Response(text=plain + self.echo_suffix)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/wecom/callback", self.post)
        app.router.add_get("/wecom/callback", self.get)
        return app


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory, sandbox: Sandbox) -> AsyncIterator[Receiver]:
    bot = Receiver(sandbox.corp_id)
    server = await aiohttp_server(bot.app())
    sandbox.connect_bot(str(server.make_url("/wecom/callback")), TOKEN, AES_KEY, timeout=0.3)
    yield bot
    await sandbox.close_drivers()


async def test_add_contact_is_delivered_encrypted_and_parses(
    sandbox: Sandbox, receiver: Receiver, clock: FakeClock
) -> None:
    result = await sandbox.customer_adds_staff("zhangsan", "wmcust", state="poster-1")
    assert result.delivery is not None and result.delivery.statuses == [200]
    assert receiver.xml == [result.xml]
    envelope = receiver.envelopes[0]
    assert (envelope["ToUserName"], envelope["AgentID"]) == (sandbox.corp_id, "1000002")
    event = parse_event(receiver.xml[0])
    assert isinstance(event, AddExternalContact)
    assert (event.user_id, event.external_userid) == ("zhangsan", "wmcust")
    assert (event.state, event.welcome_code) == ("poster-1", result.welcome_code)
    assert (event.from_user_name, event.to_user_name) == ("sys", sandbox.corp_id)
    assert event.create_time == int(clock.now)


async def test_retry_after_500_carries_identical_xml(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.fail_with, receiver.bad = 500, 1
    result = await sandbox.customer_adds_staff("zhangsan", "wmcust")
    assert result.delivery is not None
    assert result.delivery.statuses == [500, 200]
    assert result.delivered
    assert receiver.xml[0] == receiver.xml[1] == result.xml
    # encrypted afresh: only the plaintext is identical
    assert receiver.envelopes[0]["Encrypt"] != receiver.envelopes[1]["Encrypt"]


async def test_no_answer_within_the_timeout_is_retried(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.stall, receiver.bad = 1.0, 1
    result = await sandbox.staff_sends_text("lisi", "统计")
    assert result.delivery is not None
    assert result.delivery.statuses == [None, 200]
    assert "Timeout" in result.delivery.attempts[0].error
    assert receiver.xml[0] == receiver.xml[1]


async def test_three_retries_in_all(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.fail_with, receiver.bad = 503, 99
    result = await sandbox.staff_sends_text("lisi", "hello")
    assert result.delivery is not None
    assert result.delivery.statuses == [503, 503, 503, 503]
    assert not result.delivered


async def test_group_scenarios_parse(sandbox: Sandbox, receiver: Receiver) -> None:
    created = await sandbox.group_created("zhangsan", chat_id="wrgroup1")
    assert isinstance(parse_event(created.xml), ExternalChatCreate)
    two = await sandbox.customer_joins_group("wrgroup1", ["wma", "wmb"], join_scene=3)
    event = parse_event(receiver.xml[-1])
    assert isinstance(event, ExternalChatUpdate)
    assert (event.chat_id, event.update_detail, event.join_scene) == ("wrgroup1", "add_member", 3)
    assert (event.mem_change_cnt, event.mem_change_list) == (2, ["wma", "wmb"])
    assert event.last_mem_ver and event.cur_mem_ver and event.last_mem_ver != event.cur_mem_ver
    one = await sandbox.customer_joins_group("wrgroup1", "wmc", join_scene=0)
    single = parse_event(one.xml)
    assert isinstance(single, ExternalChatUpdate)
    assert (single.mem_change_list, single.join_scene) == (["wmc"], 0)
    assert single.last_mem_ver == parse_event(two.xml).raw["CurMemVer"]
    left = parse_event((await sandbox.customer_leaves_group("wrgroup1", "wma", quit_scene=1)).xml)
    assert isinstance(left, ExternalChatUpdate)
    assert (left.update_detail, left.quit_scene) == ("del_member", 1)
    assert sandbox.state.groups["wrgroup1"].members == ["zhangsan", "wmb", "wmc"]


async def test_deletion_scenarios(sandbox: Sandbox, receiver: Receiver, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    await sandbox.customer_adds_staff("lisi", "wm1")
    churn = parse_event((await sandbox.customer_deletes_staff("zhangsan", "wm1")).xml)
    assert isinstance(churn, DelFollowUser)
    assert (churn.user_id, churn.external_userid) == ("zhangsan", "wm1")
    removed = await sandbox.staff_deletes_customer("lisi", "wm1", source="DELETE_BY_TRANSFER")
    event = parse_event(removed.xml)
    assert isinstance(event, DelExternalContact)
    assert event.source == "DELETE_BY_TRANSFER"
    assert len(receiver.xml) == 4
    assert (await contact_api.get("externalcontact/get", external_userid="wm1"))["errcode"] == 84061
    with pytest.raises(ValueError):
        await sandbox.customer_deletes_staff("zhangsan", "wm1")


async def test_kf_and_text_scenarios(sandbox: Sandbox, receiver: Receiver) -> None:
    kf = await sandbox.kf_message("wmkf", "在吗", open_kfid="wkservice")
    event = parse_event(receiver.xml[-1])
    assert isinstance(event, KfMsgOrEvent)
    assert (event.token, event.open_kfid) == (kf.kf_token, "wkservice")
    first = await sandbox.staff_sends_text("lisi", "话术 列表")
    second = await sandbox.staff_sends_text("lisi", "话术 列表")
    text = parse_event(first.xml)
    assert isinstance(text, TextMessage)
    assert (text.user_id, text.content, text.agent_id) == ("lisi", "话术 列表", sandbox.agent_id)
    assert text.msg_id == first.msg_id != second.msg_id
    assert text.dedup_id == f"msg:{first.msg_id}"


async def test_cdata_survives_awkward_text(sandbox: Sandbox, receiver: Receiver) -> None:
    awkward = "a]]>b <xml>&amp; 😀"
    await sandbox.staff_sends_text("lisi", awkward)
    event = parse_event(receiver.xml[-1])
    assert isinstance(event, TextMessage) and event.content == awkward


async def test_api_actions_fire_no_callback(
    sandbox: Sandbox, receiver: Receiver, contact_api: Api
) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    tags = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "t"}]}
    )
    tag_id = tags["tag_group"]["tag"][0]["id"]
    mark = {"userid": "zhangsan", "external_userid": "wm1", "add_tag": [tag_id]}
    assert (await contact_api.post("externalcontact/mark_tag", mark))["errcode"] == 0
    assert len(receiver.xml) == 1


async def test_url_verification(sandbox: Sandbox, receiver: Receiver) -> None:
    good = await sandbox.verify_bot_url()
    assert good.ok and good.body == good.expected
    receiver.echo_suffix = "\n"
    bad = await sandbox.verify_bot_url()
    assert not bad.ok and bad.status == 200


async def test_scenarios_without_a_bot_still_change_state(sandbox: Sandbox) -> None:
    result = await sandbox.customer_adds_staff("zhangsan", "wmquiet")
    assert result.delivery is None and not result.delivered
    assert sandbox.state.follow("zhangsan", "wmquiet") is not None
    with pytest.raises(ValueError):
        await sandbox.customer_adds_staff("ghost", "wmquiet")


async def test_bot_in_another_process_is_driven_over_http(
    aiohttp_server: ServerFactory, client: TestClient[Any, Any], sandbox: Sandbox
) -> None:
    bot = Receiver(sandbox.corp_id)
    server = await aiohttp_server(bot.app())
    connect = {
        "url": str(server.make_url("/wecom/callback")),
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "timeout": 1,
    }
    async with client.post("/sandbox/connect", json=connect) as resp:
        assert resp.status == 200
    async with client.post("/sandbox/verify_url") as resp:
        assert (await resp.json())["ok"] is True
    payload = {"userid": "lisi", "external_userid": "wmremote", "state": "s1"}
    async with client.post("/sandbox/scenarios/customer_adds_staff", json=payload) as resp:
        result = await resp.json()
    assert (result["delivered"], result["statuses"]) == (True, [200])
    event = parse_event(bot.xml[-1])
    assert isinstance(event, AddExternalContact)
    assert event.welcome_code == result["welcome_code"]
