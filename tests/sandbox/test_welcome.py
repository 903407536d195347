"""send_welcome_msg: 20 s, once, payload limits, and what WeCom would deliver."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api, FakeClock, text_of_bytes

SEND = "externalcontact/send_welcome_msg"


async def new_code(sandbox: Sandbox, external_userid: str = "wmcust") -> str:
    result = await sandbox.customer_adds_staff("zhangsan", external_userid, state="spring")
    assert result.welcome_code
    return result.welcome_code


async def test_welcome_is_recorded_as_delivered(sandbox: Sandbox, contact_api: Api) -> None:
    code = await new_code(sandbox)
    link = {"title": "春季新品", "url": "https://example.com/a", "desc": "看看"}
    data = await contact_api.post(
        SEND,
        {
            "welcome_code": code,
            "text": {"content": "你好，欢迎！"},
            "attachments": [{"msgtype": "link", "link": link}],
        },
    )
    assert data["errcode"] == 0
    [welcome] = sandbox.welcomes("wmcust")
    assert (welcome.userid, welcome.external_userid) == ("zhangsan", "wmcust")
    assert welcome.text == "你好，欢迎！"
    assert welcome.attachments[0]["link"]["title"] == "春季新品"
    assert welcome.welcome_code == code


async def test_code_lives_20_seconds(sandbox: Sandbox, contact_api: Api, clock: FakeClock) -> None:
    early = await new_code(sandbox, "wm1")
    late = await new_code(sandbox, "wm2")
    clock.advance(19.9)
    ok = await contact_api.post(SEND, {"welcome_code": early, "text": {"content": "hi"}})
    assert ok["errcode"] == 0
    clock.advance(0.1)
    expired = await contact_api.post(SEND, {"welcome_code": late, "text": {"content": "hi"}})
    assert expired["errcode"] == 41050
    assert sandbox.welcomes("wm2") == []


async def test_code_works_once(sandbox: Sandbox, contact_api: Api) -> None:
    code = await new_code(sandbox)
    payload = {"welcome_code": code, "text": {"content": "hi"}}
    assert (await contact_api.post(SEND, payload))["errcode"] == 0
    again = await contact_api.post(SEND, payload)
    assert again["errcode"] == 41051
    assert again["errmsg"].startswith("externaluser has started chatting")
    assert len(sandbox.welcomes()) == 1


async def test_unknown_missing_and_chat_started(sandbox: Sandbox, contact_api: Api) -> None:
    unknown = await contact_api.post(SEND, {"welcome_code": "nope", "text": {"content": "x"}})
    assert unknown["errcode"] == 41050
    assert (await contact_api.post(SEND, {"text": {"content": "x"}}))["errcode"] == 41049
    code = await new_code(sandbox)
    sandbox.start_chat("zhangsan", "wmcust")
    started = await contact_api.post(SEND, {"welcome_code": code, "text": {"content": "x"}})
    assert started["errcode"] == 41051


async def test_native_welcome_means_no_code(sandbox: Sandbox) -> None:
    sandbox.add_staff("wangwu", native_welcome=True)
    result = await sandbox.customer_adds_staff("wangwu", "wmx")
    assert result.welcome_code == ""
    assert "WelcomeCode" not in result.xml


async def test_text_limit_is_4000_utf8_bytes(sandbox: Sandbox, contact_api: Api) -> None:
    code = await new_code(sandbox)
    too_long = await contact_api.post(
        SEND, {"welcome_code": code, "text": {"content": text_of_bytes(4001)}}
    )
    assert too_long["errcode"] == 40058
    assert "text.content exceed max length 4000" in too_long["errmsg"]
    # a refused payload does not use the code up
    fits = await contact_api.post(
        SEND, {"welcome_code": code, "text": {"content": text_of_bytes(4000)}}
    )
    assert fits["errcode"] == 0


def link(title: str = "t", desc: str = "", url: str = "https://e.com") -> dict[str, Any]:
    return {"msgtype": "link", "link": {"title": title, "url": url, "desc": desc}}


async def test_at_most_nine_attachments(sandbox: Sandbox, contact_api: Api) -> None:
    code = await new_code(sandbox)
    ten = await contact_api.post(SEND, {"welcome_code": code, "attachments": [link()] * 10})
    assert ten["errcode"] == 40058
    nine = await contact_api.post(SEND, {"welcome_code": code, "attachments": [link()] * 9})
    assert nine["errcode"] == 0
    assert len(sandbox.welcomes()[0].attachments) == 9


@pytest.mark.parametrize(
    ("ok", "bad"),
    [
        (link(title=text_of_bytes(128)), link(title=text_of_bytes(129))),
        (link(desc=text_of_bytes(512)), link(desc=text_of_bytes(513))),
        (
            {
                "msgtype": "miniprogram",
                "miniprogram": {
                    "title": text_of_bytes(64),
                    "pic_media_id": "MEDIA",
                    "appid": "wx1",
                    "page": "/p",
                },
            },
            {
                "msgtype": "miniprogram",
                "miniprogram": {
                    "title": text_of_bytes(65),
                    "pic_media_id": "MEDIA",
                    "appid": "wx1",
                    "page": "/p",
                },
            },
        ),
    ],
    ids=["link.title", "link.desc", "miniprogram.title"],
)
async def test_attachment_byte_limits(
    sandbox: Sandbox, contact_api: Api, ok: dict[str, Any], bad: dict[str, Any]
) -> None:
    sandbox.strict_media = False
    code = await new_code(sandbox)
    refused = await contact_api.post(SEND, {"welcome_code": code, "attachments": [bad]})
    assert refused["errcode"] == 40058
    assert "exceed max length" in refused["errmsg"]
    assert (await contact_api.post(SEND, {"welcome_code": code, "attachments": [ok]}))[
        "errcode"
    ] == 0


@pytest.mark.parametrize(
    ("attachment", "errcode"),
    [
        ({"msgtype": "link", "link": {"title": "t"}}, 41010),
        ({"msgtype": "link", "link": {"url": "https://e.com"}}, 41016),
        ({"msgtype": "image", "image": {}}, 40058),
        ({"msgtype": "image", "image": {"media_id": "never-uploaded"}}, 40007),
        ({"msgtype": "video", "video": {"media_id": "never-uploaded"}}, 40007),
        ({"msgtype": "file", "file": {}}, 41006),
        ({"msgtype": "voice", "voice": {"media_id": "x"}}, 41065),
        ({"msgtype": "miniprogram", "miniprogram": {"title": "t"}}, 40058),
    ],
)
async def test_attachment_validation(
    sandbox: Sandbox, contact_api: Api, attachment: dict[str, Any], errcode: int
) -> None:
    code = await new_code(sandbox)
    data = await contact_api.post(SEND, {"welcome_code": code, "attachments": [attachment]})
    assert data["errcode"] == errcode


async def test_image_by_pic_url_and_empty_payload(sandbox: Sandbox, contact_api: Api) -> None:
    code = await new_code(sandbox)
    assert (await contact_api.post(SEND, {"welcome_code": code}))["errcode"] == 40058
    image = {"msgtype": "image", "image": {"pic_url": "https://wework.qpic.cn/x/0"}}
    data = await contact_api.post(SEND, {"welcome_code": code, "attachments": [image]})
    assert data["errcode"] == 0
    assert sandbox.welcomes()[0].text == ""
