"""kf/sync_msg, OAuth2 codes, JS-SDK tickets and media uploads."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api, FakeClock

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32
AMR = b"#!AMR\n" + b"\0" * 32
MP4 = b"\0\0\0\x18ftypmp42" + b"\0" * 32


async def test_kf_messages_are_pulled_with_the_callback_token(
    sandbox: Sandbox, app_api: Api
) -> None:
    first = await sandbox.kf_message("wmkf1", "你好，在吗？", open_kfid="wkshop")
    await sandbox.kf_message("wmkf2", "发货了吗", open_kfid="wkshop")
    data = await app_api.post(
        "kf/sync_msg", {"open_kfid": "wkshop", "token": first.kf_token, "limit": 1000}
    )
    assert data["errcode"] == 0
    assert data["has_more"] == 0
    assert [m["text"]["content"] for m in data["msg_list"]] == ["你好，在吗？", "发货了吗"]
    message = data["msg_list"][0]
    assert (message["origin"], message["msgtype"], message["external_userid"]) == (
        3,
        "text",
        "wmkf1",
    )
    assert message["msgid"] == first.msg_id
    # the cursor resumes after what was already pulled
    await sandbox.kf_message("wmkf1", "第三条", open_kfid="wkshop")
    later = await app_api.post(
        "kf/sync_msg", {"open_kfid": "wkshop", "cursor": data["next_cursor"]}
    )
    assert [m["text"]["content"] for m in later["msg_list"]] == ["第三条"]


async def test_kf_pagination(sandbox: Sandbox, app_api: Api) -> None:
    for n in range(5):
        await sandbox.kf_message("wmkf", f"m{n}", open_kfid="wkp")
    seen: list[str] = []
    cursor = ""
    while True:
        page = await app_api.post("kf/sync_msg", {"open_kfid": "wkp", "cursor": cursor, "limit": 2})
        seen += [m["text"]["content"] for m in page["msg_list"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [f"m{n}" for n in range(5)]


async def test_kf_errors(sandbox: Sandbox, app_api: Api, clock: FakeClock) -> None:
    result = await sandbox.kf_message("wmkf", "hi", open_kfid="wkerr")
    assert (await app_api.post("kf/sync_msg", {}))["errcode"] == 95000
    assert (await app_api.post("kf/sync_msg", {"open_kfid": "wknone"}))["errcode"] == 95004
    too_many = await app_api.post("kf/sync_msg", {"open_kfid": "wkerr", "limit": 1001})
    assert too_many["errcode"] == 40058
    bad_cursor = await app_api.post("kf/sync_msg", {"open_kfid": "wkerr", "cursor": "nope"})
    assert bad_cursor["errcode"] == 50100
    clock.advance(599)
    payload = {"open_kfid": "wkerr", "token": result.kf_token}
    assert (await app_api.post("kf/sync_msg", payload))["errcode"] == 0
    clock.advance(1)  # the callback token lives 10 minutes
    assert (await app_api.post("kf/sync_msg", payload))["errcode"] == 95007


async def test_oauth_code_is_single_use_and_lives_5_minutes(
    sandbox: Sandbox, app_api: Api, clock: FakeClock
) -> None:
    code = sandbox.mint_oauth_code("lisi")
    data = await app_api.get("auth/getuserinfo", code=code)
    assert (data["errcode"], data["userid"]) == (0, "lisi")
    assert (await app_api.get("auth/getuserinfo", code=code))["errcode"] == 40029
    late = sandbox.mint_oauth_code("lisi")
    clock.advance(299)
    on_time = sandbox.mint_oauth_code("zhangsan")
    clock.advance(1)
    assert (await app_api.get("auth/getuserinfo", code=late))["errcode"] == 40029
    assert (await app_api.get("auth/getuserinfo", code=on_time))["userid"] == "zhangsan"
    assert (await app_api.get("auth/getuserinfo"))["errcode"] == 41008
    assert (await app_api.get("auth/getuserinfo", code="forged"))["errcode"] == 40029


async def test_js_tickets(app_api: Api, clock: FakeClock) -> None:
    corp = await app_api.get("get_jsapi_ticket")
    agent = await app_api.get("ticket/get", type="agent_config")
    assert (corp["expires_in"], agent["expires_in"]) == (7200, 7200)
    assert corp["ticket"] != agent["ticket"]
    clock.advance(60)
    again = await app_api.get("get_jsapi_ticket")
    assert (again["ticket"], again["expires_in"]) == (corp["ticket"], 7140)
    assert (await app_api.get("ticket/get", type="jsapi"))["errcode"] == 91040


async def upload(
    client: TestClient[Any, Any], api: Api, kind: str, content: bytes, field: str = "media"
) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field(field, content, filename=f"x.{kind}", content_type="application/octet-stream")
    async with client.post(
        "/cgi-bin/media/upload", params={"access_token": api.token, "type": kind}, data=form
    ) as resp:
        result: dict[str, Any] = await resp.json()
        return result


@pytest.mark.parametrize(
    ("kind", "head", "limit", "errcode"),
    [
        ("image", PNG, 10 * MB, 40009),
        ("voice", AMR, 2 * MB, 40006),
        ("video", MP4, 10 * MB, 40011),
        ("file", b"plain text file", 20 * MB, 40006),
    ],
)
async def test_media_size_limits(
    client: TestClient[Any, Any],
    app_api: Api,
    kind: str,
    head: bytes,
    limit: int,
    errcode: int,
) -> None:
    at_limit = head + b"\0" * (limit - len(head))
    ok = await upload(client, app_api, kind, at_limit)
    assert (ok["errcode"], ok["type"]) == (0, kind)
    assert ok["media_id"] and ok["created_at"]
    over = await upload(client, app_api, kind, at_limit + b"\0")
    assert over["errcode"] == errcode


async def test_media_validation(
    client: TestClient[Any, Any], app_api: Api, sandbox: Sandbox
) -> None:
    assert (await upload(client, app_api, "file", b"12345"))["errcode"] == 40006
    assert (await upload(client, app_api, "file", b"123456"))["errcode"] == 0
    assert (await upload(client, app_api, "sticker", PNG))["errcode"] == 40005
    assert (await upload(client, app_api, "image", b"GIF89a" + b"\0" * 10))["errcode"] == 40123
    assert (await upload(client, app_api, "image", JPEG))["errcode"] == 0
    assert (await upload(client, app_api, "voice", b"ID3" + b"\0" * 10))["errcode"] == 301017
    assert (await upload(client, app_api, "file", b"123456", field="file"))["errcode"] == 44001
    call = sandbox.calls_to("media/upload")[-2]
    assert call.upload == {
        "field": "media",
        "filename": "x.voice",
        "content_type": "application/octet-stream",
        "size": 13,
    }


async def test_uploaded_media_can_be_attached(
    client: TestClient[Any, Any], app_api: Api, contact_api: Api, sandbox: Sandbox, clock: FakeClock
) -> None:
    media_id = (await upload(client, app_api, "image", PNG))["media_id"]
    code = (await sandbox.customer_adds_staff("zhangsan", "wmm")).welcome_code
    image = {"msgtype": "image", "image": {"media_id": media_id}}
    wrong_type = {"msgtype": "video", "video": {"media_id": media_id}}
    send = "externalcontact/send_welcome_msg"
    assert (await contact_api.post(send, {"welcome_code": code, "attachments": [wrong_type]}))[
        "errcode"
    ] == 40007
    assert (await contact_api.post(send, {"welcome_code": code, "attachments": [image]}))[
        "errcode"
    ] == 0
    clock.advance(3 * 86400)  # media ids live 3 days
    assert not sandbox.media_ok(media_id, "image")
