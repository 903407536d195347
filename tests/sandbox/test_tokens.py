"""gettoken and access-token checks (docs 91039, 90313)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.sandbox import Sandbox, create_sandbox_app
from tests.sandbox.conftest import ClientFactory
from tests.sandbox.helpers import Api, FakeClock


async def gettoken(client: TestClient[Any, Any], **params: str) -> dict[str, Any]:
    async with client.get("/cgi-bin/gettoken", params=params) as resp:
        data: dict[str, Any] = await resp.json()
        return data


async def test_gettoken_errors(client: TestClient[Any, Any], sandbox: Sandbox) -> None:
    assert (await gettoken(client, corpsecret=sandbox.app_secret))["errcode"] == 41002
    bad_corp = await gettoken(client, corpid="wwnope", corpsecret=sandbox.app_secret)
    assert bad_corp["errcode"] == 40013
    assert (await gettoken(client, corpid=sandbox.corp_id))["errcode"] == 41004
    bad_secret = await gettoken(client, corpid=sandbox.corp_id, corpsecret="nope")
    assert bad_secret["errcode"] == 40001
    assert "devtool/query?e=40001" in bad_secret["errmsg"]


async def test_each_secret_has_its_own_token_reused_while_valid(
    client: TestClient[Any, Any], sandbox: Sandbox, clock: FakeClock
) -> None:
    app = await gettoken(client, corpid=sandbox.corp_id, corpsecret=sandbox.app_secret)
    contact = await gettoken(client, corpid=sandbox.corp_id, corpsecret=sandbox.contact_secret)
    assert app["expires_in"] == 7200
    assert app["access_token"] != contact["access_token"]
    clock.advance(100)
    again = await gettoken(client, corpid=sandbox.corp_id, corpsecret=sandbox.app_secret)
    assert again["access_token"] == app["access_token"]
    assert again["expires_in"] == 7100


async def test_token_expires_after_7200_seconds(
    client: TestClient[Any, Any], app_api: Api, clock: FakeClock, sandbox: Sandbox
) -> None:
    clock.advance(7199)
    assert (await app_api.get("get_jsapi_ticket"))["errcode"] == 0
    clock.advance(1)
    assert (await app_api.get("get_jsapi_ticket"))["errcode"] == 42001
    fresh = await gettoken(client, corpid=sandbox.corp_id, corpsecret=sandbox.app_secret)
    assert fresh["access_token"] != app_api.token


async def test_missing_unknown_revoked_and_expired_tokens(
    client: TestClient[Any, Any], app_api: Api, contact_api: Api, sandbox: Sandbox
) -> None:
    async with client.get("/cgi-bin/get_jsapi_ticket") as resp:
        assert (await resp.json())["errcode"] == 41001
    assert (await Api(client, "not-a-token").get("get_jsapi_ticket"))["errcode"] == 40014
    assert sandbox.tokens.revoke(kind="app") == 1
    assert (await app_api.get("get_jsapi_ticket"))["errcode"] == 40014
    # the other secret's token is untouched
    assert (await contact_api.post("externalcontact/get_corp_tag_list", {}))["errcode"] == 0
    sandbox.tokens.expire(value=contact_api.token)
    listing = await contact_api.post("externalcontact/get_corp_tag_list", {})
    assert listing["errcode"] == 42001


async def test_contact_endpoints_need_contact_permission(
    aiohttp_client: ClientFactory, clock: FakeClock
) -> None:
    sandbox = Sandbox(clock=clock, app_has_contact_permission=False)
    client = await aiohttp_client(create_sandbox_app(sandbox))
    app = await gettoken(client, corpid=sandbox.corp_id, corpsecret=sandbox.app_secret)
    contact = await gettoken(client, corpid=sandbox.corp_id, corpsecret=sandbox.contact_secret)
    as_app = Api(client, app["access_token"])
    as_contact = Api(client, contact["access_token"])
    assert (await as_app.post("externalcontact/get_corp_tag_list", {}))["errcode"] == 48002
    assert (await as_contact.post("externalcontact/get_corp_tag_list", {}))["errcode"] == 0
    # the 客户联系 secret is not an app: it cannot send app messages
    send = {"touser": "x", "agentid": sandbox.agent_id, "msgtype": "text", "text": {"content": "x"}}
    assert (await as_contact.post("message/send", send))["errcode"] == 48002


async def test_app_token_calls_contact_apis_by_default(app_api: Api) -> None:
    assert (await app_api.post("externalcontact/get_corp_tag_list", {}))["errcode"] == 0


@pytest.mark.parametrize("kind", ["app", "contact", None])
async def test_revoke_by_kind_counts(sandbox: Sandbox, kind: str | None) -> None:
    sandbox.tokens.issue("app")
    sandbox.tokens.issue("contact")
    assert sandbox.tokens.revoke(kind=kind) == (2 if kind is None else 1)
