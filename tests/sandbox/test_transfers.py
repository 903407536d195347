"""Inheritance in the sandbox (docs 92124, 92125, 92127, 93242): a resigned member's customers
listed as unassigned, at most 100 a call, each answered with its own errcode, results that move
from waiting to taken over after 24 hours (or refused), the 2-in-90-days rule on on-job
transfers, and groups: only the right owners, at most 300 a day per old owner (90500)."""

from __future__ import annotations

from bot.sandbox import Sandbox
from bot.sandbox.routes_transfer import GROUP_LIMIT, NOT_THEIR_CUSTOMER, TAKEOVER_AFTER, TOO_OFTEN
from bot.sandbox.state import FollowUser, GroupChat
from tests.sandbox.conftest import _token
from tests.sandbox.helpers import Api


async def _a_day_later(sandbox: Sandbox, api: Api) -> None:
    """24 hours on: transfers settle, and the API gets a fresh token (the old one expired)."""
    sandbox.advance(TAKEOVER_AFTER)
    await sandbox.settle_transfers()
    api.token = await _token(api.client, sandbox.corp_id, sandbox.contact_secret)


async def test_resigned_customers_are_listed_transferred_and_taken_over(
    sandbox: Sandbox, contact_api: Api
) -> None:
    for eid in ("wm1", "wm2"):
        sandbox.state.follows[("zhangsan", eid)] = FollowUser("zhangsan", eid, 0)
    assert (await contact_api.post("externalcontact/get_unassigned_list", {}))["info"] == []
    await sandbox.member_resigns("zhangsan")
    waiting = await contact_api.post("externalcontact/get_unassigned_list", {"page_size": 1})
    assert waiting["info"][0]["handover_userid"] == "zhangsan" and not waiting["is_last"]
    too_many = await contact_api.post(
        "externalcontact/resigned/transfer_customer",
        {
            "handover_userid": "zhangsan",
            "takeover_userid": "lisi",
            "external_userid": [f"wm{n}" for n in range(101)],
        },
    )
    assert too_many["errcode"] == 40058
    answer = await contact_api.post(
        "externalcontact/resigned/transfer_customer",
        {
            "handover_userid": "zhangsan",
            "takeover_userid": "lisi",
            "external_userid": ["wm1", "wm2", "wmX"],
        },
    )
    assert [c["errcode"] for c in answer["customer"]] == [0, 0, NOT_THEIR_CUSTOMER]
    await sandbox.customer_refuses_transfer("wm2")
    body = {"handover_userid": "zhangsan", "takeover_userid": "lisi"}
    result = await contact_api.post("externalcontact/resigned/transfer_result", body)
    assert {c["external_userid"]: c["status"] for c in result["customer"]} == {"wm1": 2, "wm2": 3}
    await _a_day_later(sandbox, contact_api)
    result = await contact_api.post("externalcontact/resigned/transfer_result", body)
    assert {c["external_userid"]: c["status"] for c in result["customer"]} == {"wm1": 1, "wm2": 3}
    assert (
        sandbox.state.follow("lisi", "wm1") is not None
        and sandbox.state.follow("zhangsan", "wm1") is None
    )


async def test_on_job_limits_and_groups(sandbox: Sandbox, contact_api: Api) -> None:
    sandbox.state.follows[("zhangsan", "wm1")] = FollowUser("zhangsan", "wm1", 0)
    for old, new in (("zhangsan", "lisi"), ("lisi", "zhangsan"), ("zhangsan", "lisi")):
        answer = await contact_api.post(
            "externalcontact/transfer_customer",
            {"handover_userid": old, "takeover_userid": new, "external_userid": ["wm1"]},
        )
        code = answer["customer"][0]["errcode"]
        if code == TOO_OFTEN:
            break
        await _a_day_later(sandbox, contact_api)
    assert code == TOO_OFTEN  # the third in 90 days
    resigned = await contact_api.post(
        "externalcontact/resigned/transfer_customer",
        {"handover_userid": "lisi", "takeover_userid": "zhangsan", "external_userid": ["wm1"]},
    )
    assert resigned["errcode"] != 0  # lisi hasn't resigned
    for n in range(301):
        sandbox.state.groups[f"wr{n}"] = GroupChat(f"wr{n}", "zhangsan", ["zhangsan"])
    for start in range(0, 301, 100):
        chats = [f"wr{n}" for n in range(start, min(start + 100, 301))]
        answer = await contact_api.post(
            "externalcontact/groupchat/onjob_transfer", {"chat_id_list": chats, "new_owner": "lisi"}
        )
    assert [f["errcode"] for f in answer["failed_chat_list"]] == [GROUP_LIMIT]  # the 301st today
    wrong = await contact_api.post(
        "externalcontact/groupchat/transfer", {"chat_id_list": ["wr0"], "new_owner": "zhangsan"}
    )
    assert wrong["failed_chat_list"][0]["errcode"] != 0  # lisi, its owner now, hasn't resigned
