"""message/send: validation, invalid recipients and the per-member frequency limits."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api, FakeClock, text_of_bytes


def text(touser: str, content: str = "hello", **extra: Any) -> dict[str, Any]:
    return {
        "touser": touser,
        "agentid": 1000002,
        "msgtype": "text",
        "text": {"content": content},
        **extra,
    }


def card(**fields: str) -> dict[str, Any]:
    body = {"title": "SOP", "description": "第3天关怀", "url": "https://e.com", **fields}
    return {"touser": "zhangsan", "agentid": 1000002, "msgtype": "textcard", "textcard": body}


async def test_text_is_delivered_and_recorded(sandbox: Sandbox, app_api: Api) -> None:
    data = await app_api.post("message/send", text("zhangsan|lisi", "早上好"))
    assert data["errcode"] == 0
    assert data["msgid"]
    assert "invaliduser" not in data
    [message] = sandbox.app_messages("zhangsan")
    assert (message.msgtype, message.content) == ("text", {"content": "早上好"})
    assert len(sandbox.app_messages("lisi")) == 1


async def test_invalid_users_and_all_invalid(sandbox: Sandbox, app_api: Api) -> None:
    some = await app_api.post("message/send", text("zhangsan|Ghost"))
    assert some["errcode"] == 0
    assert some["invaliduser"] == "ghost"
    none = await app_api.post("message/send", text("ghost|nobody"))
    assert none["errcode"] == 81013
    assert sandbox.app_messages("ghost", delivered=None) == []


async def test_departments_and_at_all(sandbox: Sandbox, app_api: Api) -> None:
    by_party = await app_api.post("message/send", {**text(""), "touser": "", "toparty": "2|99"})
    assert by_party["invalidparty"] == "99"
    assert [m.userid for m in sandbox.app_messages()] == ["lisi"]
    everyone = await app_api.post("message/send", text("@all"))
    assert everyone["errcode"] == 0
    assert len(sandbox.app_messages()) == 3


@pytest.mark.parametrize(
    ("payload", "errcode"),
    [
        ({**text("zhangsan"), "agentid": None}, 41011),
        ({**text("zhangsan"), "agentid": 1000003}, 40056),
        ({**text("zhangsan"), "msgtype": "nonsense"}, 40008),
        (text("zhangsan", ""), 44004),
        (text("zhangsan", text_of_bytes(2049)), 45002),
        ({**text(""), "touser": ""}, 82001),
        (card(title=text_of_bytes(129)), 40058),
        (card(description=text_of_bytes(513)), 40058),
        (card(url=""), 41010),
        (card(title=""), 41016),
        (card(description=""), 41033),
    ],
)
async def test_send_errors(app_api: Api, payload: dict[str, Any], errcode: int) -> None:
    payload = {k: v for k, v in payload.items() if v is not None}
    assert (await app_api.post("message/send", payload))["errcode"] == errcode


async def test_limits_that_fit(app_api: Api) -> None:
    assert (await app_api.post("message/send", text("zhangsan", text_of_bytes(2048))))[
        "errcode"
    ] == 0
    fitting = card(title=text_of_bytes(128), description=text_of_bytes(512))
    assert (await app_api.post("message/send", fitting))["errcode"] == 0


async def test_31st_message_in_a_minute_is_silently_dropped(
    sandbox: Sandbox, app_api: Api, clock: FakeClock
) -> None:
    for n in range(30):
        assert (await app_api.post("message/send", text("zhangsan", f"m{n}")))["errcode"] == 0
        clock.advance(1)
    dropped = await app_api.post("message/send", text("zhangsan|lisi", "m30"))
    assert dropped["errcode"] == 0  # WeCom does not tell
    assert len(sandbox.app_messages("zhangsan")) == 30
    [lost] = sandbox.app_messages("zhangsan", delivered=False)
    assert (lost.content["content"], lost.drop_reason) == ("m30", "rate_limit_minute")
    assert len(sandbox.app_messages("lisi")) == 1  # the limit is per member
    clock.advance(30)  # the first message is now a minute old
    assert (await app_api.post("message/send", text("zhangsan", "m31")))["errcode"] == 0
    assert sandbox.app_messages("zhangsan")[-1].content["content"] == "m31"


async def test_1001st_message_in_an_hour_is_silently_dropped(
    sandbox: Sandbox, app_api: Api, clock: FakeClock
) -> None:
    for _ in range(1000):
        await app_api.post("message/send", text("zhangsan"))
        clock.advance(2.5)  # 24 a minute: under the minute limit, 1000 within 2500 s
    assert len(sandbox.app_messages("zhangsan")) == 1000
    assert (await app_api.post("message/send", text("zhangsan", "late")))["errcode"] == 0
    [lost] = sandbox.app_messages("zhangsan", delivered=False)
    assert lost.drop_reason == "rate_limit_hour"


async def test_duplicate_check(sandbox: Sandbox, app_api: Api, clock: FakeClock) -> None:
    payload = text("zhangsan", "same", enable_duplicate_check=1, duplicate_check_interval=60)
    await app_api.post("message/send", payload)
    await app_api.post("message/send", payload)
    assert len(sandbox.app_messages("zhangsan")) == 1
    clock.advance(60)
    await app_api.post("message/send", payload)
    assert len(sandbox.app_messages("zhangsan")) == 2
