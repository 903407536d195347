"""`externalcontact/groupchat/get` (doc 92122) and the client's OAuth2 authorize page (doc 91022)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api, FakeClock


async def test_group_chat_details(sandbox: Sandbox, contact_api: Api, clock: FakeClock) -> None:
    await sandbox.group_created("zhangsan", "wrGroup1", ["lisi"], name="售后群")
    clock.advance(60)
    sandbox.add_customer("wmCust1", "王小明")
    await sandbox.customer_joins_group("wrGroup1", "wmCust1")
    data = await contact_api.post("externalcontact/groupchat/get", {"chat_id": "wrGroup1"})
    assert data["errcode"] == 0
    chat = data["group_chat"]
    assert (chat["chat_id"], chat["name"], chat["owner"]) == ("wrGroup1", "售后群", "zhangsan")
    assert chat["create_time"] == int(clock.now) - 60
    members = {m["userid"]: m for m in chat["member_list"]}
    assert {u: m["type"] for u, m in members.items()} == {"zhangsan": 1, "lisi": 1, "wmCust1": 2}
    assert members["wmCust1"]["join_time"] == int(clock.now)
    assert "name" not in members["wmCust1"]  # only with need_name
    assert members["wmCust1"]["unionid"]

    named = await contact_api.post(
        "externalcontact/groupchat/get", {"chat_id": "wrGroup1", "need_name": 1}
    )
    names = {m["userid"]: m["name"] for m in named["group_chat"]["member_list"]}
    assert names == {"zhangsan": "张三", "lisi": "李四", "wmCust1": "王小明"}


async def test_group_chat_errors(sandbox: Sandbox, contact_api: Api, app_api: Api) -> None:
    assert (await contact_api.post("externalcontact/groupchat/get", {"chat_id": "wrNone"}))[
        "errcode"
    ] == 40050
    assert (await contact_api.post("externalcontact/groupchat/get", {}))["errcode"] == 40058
    sandbox.app_has_contact_permission = False
    await sandbox.group_created("zhangsan", "wrGroup2")
    answer = await app_api.post("externalcontact/groupchat/get", {"chat_id": "wrGroup2"})
    assert answer["errcode"] == 48002


def _authorize_params(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    params = {
        "appid": sandbox.corp_id,
        "redirect_uri": "https://scrm.example.com/sidebar/auth/callback?x=1",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "abc123",
        "agentid": str(sandbox.agent_id),
    }
    params.update(overrides)
    return params


async def test_authorize_signs_in_the_chosen_member(
    sandbox: Sandbox, client: TestClient[Any, Any], app_api: Api
) -> None:
    sandbox.sign_in("lisi")
    async with client.get(
        "/connect/oauth2/authorize", params=_authorize_params(sandbox), allow_redirects=False
    ) as answer:
        assert answer.status == 302
        location = answer.headers["Location"]
    assert location.startswith("https://scrm.example.com/sidebar/auth/callback?x=1&code=")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["abc123"]
    code = query["code"][0]
    user = await app_api.get("auth/getuserinfo", code=code)
    assert (user["errcode"], user["userid"]) == (0, "lisi")
    assert (await app_api.get("auth/getuserinfo", code=code))["errcode"] == 40029  # once


async def test_authorize_refusals(sandbox: Sandbox, client: TestClient[Any, Any]) -> None:
    async def status(**overrides: Any) -> tuple[int, str]:
        async with client.get(
            "/connect/oauth2/authorize",
            params=_authorize_params(sandbox, **overrides),
            allow_redirects=False,
        ) as answer:
            return answer.status, await answer.text()

    code, text = await status()
    assert code == 400 and "没有已登录的成员" in text  # nobody signed in yet
    sandbox.sign_in("zhangsan")
    assert (await status())[0] == 302
    assert (await status(appid="wwother"))[0] == 400
    assert (await status(redirect_uri="javascript:alert(1)"))[0] == 400
    assert (await status(response_type="token"))[0] == 400
    assert (await status(scope="snsapi_userinfo"))[0] == 400
    assert (await status(agentid="1"))[0] == 400
    assert (await status(state="bad state!"))[0] == 400
    with pytest.raises(ValueError):
        sandbox.sign_in("nobody")


async def test_signed_in_member_over_the_control_api(
    sandbox: Sandbox, client: TestClient[Any, Any]
) -> None:
    async with client.post("/sandbox/signed_in", json={"userid": "lisi"}) as answer:
        assert (answer.status, await answer.json()) == (200, {"signed_in": "lisi"})
    async with client.post("/sandbox/signed_in", json={"userid": "ghost"}) as answer:
        assert answer.status == 400
    assert sandbox.signed_in == "lisi"


async def test_chat_window_page(sandbox: Sandbox, client: TestClient[Any, Any]) -> None:
    sandbox.add_customer("wmCust1", "<b>王</b>")
    async with client.get(
        "/sandbox/chat",
        params={"sidebar": "http://127.0.0.1:8080/sidebar/", "external_userid": "wmCust1"},
    ) as answer:
        assert answer.status == 200
        page = await answer.text()
    assert "&lt;b&gt;王&lt;/b&gt;" in page and "<b>王" not in page
    assert 'src="http://127.0.0.1:8080/sidebar/"' in page
    async with client.get("/sandbox/chat", params={"sidebar": "javascript:x"}) as answer:
        assert answer.status == 400
    async with client.get("/sandbox/static/ww-stub.js") as answer:
        assert answer.status == 200
    async with client.get("/sandbox/static/chat.html") as answer:
        assert answer.status == 404
