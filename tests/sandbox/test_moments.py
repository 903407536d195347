"""Moments tasks in the sandbox (docs 95094, 93333, 97612): the documented limits (2,000
characters; 9 images, or 1 video, or 1 link; media ids from upload_attachment type 2), a job
whose status moves 1 → 2 → 3 with sandbox time, invalid senders and tags reported, publish
status per member, who can see a post (by tag), comments and likes, and cancel only while
someone hasn't published."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from bot.sandbox.routes_moments import CREATE_SECONDS
from bot.sandbox.state import FollowUser, Tag
from tests.sandbox.helpers import Api

ADD = "externalcontact/add_moment_task"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


async def _attachment(api: Api, sandbox: Sandbox, attachment_type: str = "2") -> str:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("media", PNG, filename="a.png", content_type="image/png")
    async with api.client.post(
        "/cgi-bin/media/upload_attachment",
        params={
            "access_token": api.token,
            "media_type": "image",
            "attachment_type": attachment_type,
        },
        data=form,
    ) as resp:
        data = await resp.json()
    assert data["errcode"] == 0, data
    return str(data["media_id"])


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"text": {"content": "好" * 2001}}, 40058),
        (
            {"attachments": [{"msgtype": "link", "link": {"title": "t", "url": "https://x"}}] * 2},
            40058,
        ),
        ({"attachments": [{"msgtype": "image", "image": {"media_id": "nope"}}]}, 40007),
        ({}, 40058),
    ],
)
async def test_limits(contact_api: Api, body: dict[str, object], errcode: int) -> None:
    answer = await contact_api.post(
        ADD, body | {"visible_range": {"sender_list": {"user_list": ["zhangsan"]}}}
    )
    assert answer["errcode"] == errcode, answer


async def test_a_job_then_publish_status_reach_and_cancel(
    sandbox: Sandbox, contact_api: Api, app_api: Api
) -> None:
    sandbox.state.tags["etVIP"] = Tag("etVIP", "VIP", "eg1", 0)
    for eid, tags in (("wm1", ["etVIP"]), ("wm2", []), ("wm3", ["etVIP"])):
        sandbox.state.follows[("zhangsan", eid)] = FollowUser("zhangsan", eid, 0, tag_ids=tags)
    image = await _attachment(app_api, sandbox)
    mass_image = await _attachment(app_api, sandbox, "1")
    refused = await contact_api.post(
        ADD,
        {
            "attachments": [{"msgtype": "image", "image": {"media_id": mass_image}}],
            "visible_range": {"sender_list": {"user_list": ["zhangsan"]}},
        },
    )
    assert refused["errcode"] == 40007  # a mass-message attachment is not a moments one
    made = await contact_api.post(
        ADD,
        {
            "text": {"content": "冬季新品"},
            "attachments": [{"msgtype": "image", "image": {"media_id": image}}],
            "visible_range": {
                "sender_list": {"user_list": ["zhangsan", "lisi", "ghost"]},
                "external_contact_list": {"tag_list": ["etVIP", "etGone"]},
            },
        },
    )
    jobid = made["jobid"]
    statuses = []
    for _ in range(3):
        result = await contact_api.get("externalcontact/get_moment_task_result", jobid=jobid)
        statuses.append(result["status"])
        sandbox.advance(CREATE_SECONDS / 2)
    assert statuses == [1, 2, 3]
    done = result["result"]
    assert done["invalid_sender_list"]["user_list"] == ["ghost"]
    assert done["invalid_external_contact_list"]["tag_list"] == ["etGone"]
    moment_id = done["moment_id"]

    task = await contact_api.post("externalcontact/get_moment_task", {"moment_id": moment_id})
    assert {(t["userid"], t["publish_status"]) for t in task["task_list"]} == {
        ("zhangsan", 0),
        ("lisi", 0),
    }
    sandbox.member_publishes_moment(moment_id, "zhangsan")
    sandbox.customer_reacts(moment_id, "zhangsan", "wm1", like=True)
    sandbox.customer_reacts(moment_id, "zhangsan", "wm3", like=False)
    task = await contact_api.post("externalcontact/get_moment_task", {"moment_id": moment_id})
    assert ("zhangsan", 1) in {(t["userid"], t["publish_status"]) for t in task["task_list"]}
    seen = await contact_api.post(
        "externalcontact/get_moment_send_result", {"moment_id": moment_id, "userid": "zhangsan"}
    )
    assert [c["external_userid"] for c in seen["customer_list"]] == ["wm1", "wm3"]  # VIPs only
    talk = await contact_api.post(
        "externalcontact/get_moment_comments", {"moment_id": moment_id, "userid": "zhangsan"}
    )
    assert (len(talk["comment_list"]), len(talk["like_list"])) == (1, 1)
    assert (await contact_api.post("externalcontact/cancel_moment_task", {"moment_id": moment_id}))[
        "errcode"
    ] == 0
    again = await contact_api.post("externalcontact/cancel_moment_task", {"moment_id": moment_id})
    assert again["errcode"] != 0
