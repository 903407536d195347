"""Mass-message results and follow-up in the sandbox (doc 92135): per-member task status that
changes when a member sends, per-recipient results (sent, not a friend, quota reached), at most 3
reminders in 24 hours, and cancelling only while unsent."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from bot.wecom import WeComClient, WeComError
from tests.sandbox.helpers import Api

MASS = "externalcontact/add_msg_template"


async def _task(sandbox: Sandbox, contact_api: Api) -> str:
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    await sandbox.customer_adds_staff("lisi", "wm2")
    data = await contact_api.post(
        MASS, {"external_userid": ["wm1", "wm2", "wmstranger"], "text": {"content": "新品上市"}}
    )
    assert data["errcode"] == 0 and data["fail_list"] == ["wmstranger"]
    return str(data["msgid"])


async def test_results_change_when_members_send(sandbox: Sandbox, contact_api: Api) -> None:
    msgid = await _task(sandbox, contact_api)  # no sender: each member sends to theirs
    tasks = await contact_api.post("externalcontact/get_groupmsg_task", {"msgid": msgid})
    assert [(t["userid"], t["status"]) for t in tasks["task_list"]] == [
        ("lisi", 0),
        ("zhangsan", 0),
    ]
    sandbox.member_sends_mass(msgid, "zhangsan")
    tasks = await contact_api.post("externalcontact/get_groupmsg_task", {"msgid": msgid})
    assert [(t["userid"], t["status"]) for t in tasks["task_list"]] == [
        ("lisi", 0),
        ("zhangsan", 2),
    ]
    mine = await contact_api.post(
        "externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": "zhangsan"}
    )
    assert [(r["external_userid"], r["status"]) for r in mine["send_list"]] == [
        ("wm1", 1),
        ("wmstranger", 2),
    ]
    theirs = await contact_api.post(
        "externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": "lisi"}
    )
    assert (theirs["send_list"][0]["external_userid"], theirs["send_list"][0]["status"]) == (
        "wm2",
        0,
    )
    unknown = await contact_api.post("externalcontact/get_groupmsg_task", {"msgid": "nope"})
    assert unknown["errcode"] != 0


async def test_three_reminders_a_day_and_cancel_while_unsent(
    sandbox: Sandbox, contact_api: Api
) -> None:
    msgid = await _task(sandbox, contact_api)
    for _ in range(3):
        answer = await contact_api.post("externalcontact/remind_groupmsg_send", {"msgid": msgid})
        assert answer["errcode"] == 0
    fourth = await contact_api.post("externalcontact/remind_groupmsg_send", {"msgid": msgid})
    assert fourth["errcode"] != 0
    cancelled = await contact_api.post("externalcontact/cancel_groupmsg_send", {"msgid": msgid})
    assert cancelled["errcode"] == 0
    again = await contact_api.post("externalcontact/cancel_groupmsg_send", {"msgid": msgid})
    assert again["errcode"] != 0


async def test_nothing_to_cancel_once_everyone_sent(sandbox: Sandbox, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    data = await contact_api.post(
        MASS, {"external_userid": ["wm1"], "sender": "zhangsan", "text": {"content": "x"}}
    )
    sandbox.member_sends_mass(data["msgid"], "zhangsan")
    for path in ("cancel_groupmsg_send", "remind_groupmsg_send"):
        answer = await contact_api.post(f"externalcontact/{path}", {"msgid": data["msgid"]})
        assert answer["errcode"] != 0, path


async def test_the_client_reads_the_results_and_follows_up(
    live_sandbox: Sandbox, sandbox_wecom: WeComClient
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wm1")
    made = await sandbox_wecom.external_contact.add_msg_template(
        sender="zhangsan", text="新品上市", external_userid=["wm1", "wmstranger"]
    )
    msgid = str(made["msgid"])
    assert [(t["userid"], t["status"]) for t in await sandbox_wecom.mass.task(msgid)] == [
        ("zhangsan", 0)
    ]
    await sandbox_wecom.mass.remind(msgid)
    live_sandbox.member_sends_mass(msgid, "zhangsan")
    results = await sandbox_wecom.mass.send_result(msgid, "zhangsan")
    assert [(r["external_userid"], r["status"]) for r in results] == [("wm1", 1), ("wmstranger", 2)]
    with pytest.raises(WeComError):
        await sandbox_wecom.mass.cancel(msgid)  # everyone has sent
