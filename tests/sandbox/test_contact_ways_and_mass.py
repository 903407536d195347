"""Channel codes (联系我) and mass-message tasks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import Sandbox
from bot.sandbox.routes_contact import month_key
from tests.sandbox.helpers import START, Api, FakeClock

ADD = "externalcontact/add_contact_way"
MASS = "externalcontact/add_msg_template"


async def test_add_get_update_delete(sandbox: Sandbox, contact_api: Api) -> None:
    added = await contact_api.post(
        ADD,
        {"type": 1, "scene": 2, "state": "spring", "user": ["zhangsan"], "remark": "海报"},
    )
    assert added["errcode"] == 0
    config_id = added["config_id"]
    assert added["qr_code"].startswith("https://")
    got = (await contact_api.post("externalcontact/get_contact_way", {"config_id": config_id}))[
        "contact_way"
    ]
    assert (got["type"], got["scene"], got["state"], got["user"]) == (1, 2, "spring", ["zhangsan"])
    assert got["skip_verify"] is True
    update = {"config_id": config_id, "state": "summer", "user": ["lisi"]}
    assert (await contact_api.post("externalcontact/update_contact_way", update))["errcode"] == 0
    got = (await contact_api.post("externalcontact/get_contact_way", {"config_id": config_id}))[
        "contact_way"
    ]
    assert (got["state"], got["user"]) == ("summer", ["lisi"])
    # a customer scanning the code arrives with its state
    result = await sandbox.customer_adds_staff(config_id=config_id, external_userid="wmqr")
    assert "<State><![CDATA[summer]]></State>" in result.xml
    assert sandbox.state.follow("lisi", "wmqr") is not None
    deleted = await contact_api.post("externalcontact/del_contact_way", {"config_id": config_id})
    assert deleted["errcode"] == 0
    gone = await contact_api.post("externalcontact/get_contact_way", {"config_id": config_id})
    assert gone["errcode"] == 41044


async def test_mini_program_scene_has_no_qr_code(contact_api: Api) -> None:
    added = await contact_api.post(ADD, {"type": 2, "scene": 1, "user": ["zhangsan", "lisi"]})
    assert added["errcode"] == 0
    assert "qr_code" not in added


@pytest.mark.parametrize(
    ("payload", "errcode"),
    [
        ({"scene": 2, "user": ["zhangsan"]}, 41037),
        ({"type": 3, "scene": 2, "user": ["zhangsan"]}, 41039),
        ({"type": 1, "user": ["zhangsan"]}, 41038),
        ({"type": 1, "scene": 5, "user": ["zhangsan"]}, 41040),
        ({"type": 1, "scene": 2, "user": ["zhangsan", "lisi"]}, 40058),
        ({"type": 1, "scene": 2, "user": []}, 40058),
        ({"type": 2, "scene": 2, "user": ["ghost"]}, 40003),
        ({"type": 2, "scene": 2, "party": [99]}, 40066),
        ({"type": 1, "scene": 2, "user": ["zhangsan"], "state": "s" * 31}, 40058),
        ({"type": 1, "scene": 2, "user": ["zhangsan"], "remark": "备" * 31}, 40058),
    ],
)
async def test_add_contact_way_errors(
    contact_api: Api, payload: dict[str, Any], errcode: int
) -> None:
    assert (await contact_api.post(ADD, payload))["errcode"] == errcode


async def test_state_of_30_characters_fits(contact_api: Api) -> None:
    data = await contact_api.post(
        ADD, {"type": 1, "scene": 2, "user": ["zhangsan"], "state": "状" * 30}
    )
    assert data["errcode"] == 0


async def test_at_most_100_users_counting_departments(sandbox: Sandbox, contact_api: Api) -> None:
    for n in range(98):
        sandbox.add_staff(f"u{n:03d}", department=[7])
    # 98 in department 7 + zhangsan + lisi = 100
    fits = await contact_api.post(
        ADD, {"type": 2, "scene": 2, "user": ["zhangsan", "lisi"], "party": [7]}
    )
    assert fits["errcode"] == 0
    sandbox.add_staff("one-more", department=[7])
    over = await contact_api.post(
        ADD, {"type": 2, "scene": 2, "user": ["zhangsan", "lisi"], "party": [7]}
    )
    assert over["errcode"] == 41041
    update = {"config_id": fits["config_id"], "user": ["zhangsan", "lisi"], "party": [7]}
    assert (await contact_api.post("externalcontact/update_contact_way", update))[
        "errcode"
    ] == 41041


async def test_list_contact_way_pages(contact_api: Api, clock: FakeClock) -> None:
    ids = []
    for _ in range(5):
        ids.append(
            (await contact_api.post(ADD, {"type": 1, "scene": 2, "user": ["lisi"]}))["config_id"]
        )
        clock.advance(1)
    first = await contact_api.post("externalcontact/list_contact_way", {"limit": 3})
    assert [w["config_id"] for w in first["contact_way"]] == ids[:3]
    rest = await contact_api.post(
        "externalcontact/list_contact_way", {"limit": 3, "cursor": first["next_cursor"]}
    )
    assert [w["config_id"] for w in rest["contact_way"]] == ids[3:]
    assert rest["next_cursor"] == ""


async def test_mass_message_task(sandbox: Sandbox, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    await sandbox.customer_adds_staff("lisi", "wm2")
    data = await contact_api.post(
        MASS,
        {
            "chat_type": "single",
            "external_userid": ["wm1", "wm2", "wmstranger"],
            "sender": "zhangsan",
            "text": {"content": "新品上市"},
        },
    )
    assert data["errcode"] == 0
    assert data["msgid"]
    assert sorted(data["fail_list"]) == ["wm2", "wmstranger"]
    [task] = sandbox.mass_tasks
    assert (task.sender, task.recipients, task.text) == ("zhangsan", ["wm1"], "新品上市")


async def test_mass_message_limits(sandbox: Sandbox, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    too_many = await contact_api.post(
        MASS, {"external_userid": ["wm1"] * 10001, "text": {"content": "x"}}
    )
    assert too_many["errcode"] == 40058
    fits = await contact_api.post(
        MASS, {"external_userid": ["wm1"] * 10000, "text": {"content": "x"}}
    )
    assert fits["errcode"] == 0
    link = {"msgtype": "link", "link": {"title": "t", "url": "https://e.com"}}
    ten = await contact_api.post(MASS, {"external_userid": ["wm1"], "attachments": [link] * 10})
    assert ten["errcode"] == 40058
    nobody = await contact_api.post(
        MASS, {"external_userid": ["wmnobody"], "text": {"content": "x"}}
    )
    assert nobody["errcode"] == 41048


async def test_each_customer_gets_as_many_mass_messages_as_the_month_has_days(
    sandbox: Sandbox, contact_api: Api, clock: FakeClock
) -> None:
    assert month_key(START) == ("2024-02", 29)
    await sandbox.customer_adds_staff("zhangsan", "wm1")
    await sandbox.customer_adds_staff("zhangsan", "wm2")
    for _ in range(29):
        sent = await contact_api.post(MASS, {"external_userid": ["wm1"], "text": {"content": "x"}})
        assert sent["errcode"] == 0
    thirtieth = await contact_api.post(
        MASS, {"external_userid": ["wm1", "wm2"], "text": {"content": "x"}}
    )
    assert thirtieth["fail_list"] == ["wm1"]
    only_wm1 = await contact_api.post(MASS, {"external_userid": ["wm1"], "text": {"content": "x"}})
    assert only_wm1["errcode"] == 41048
    clock.advance(29 * 86400)  # March: the count starts again
    contact_api.token = sandbox.tokens.issue("contact").value  # the old one expired meanwhile
    march = await contact_api.post(MASS, {"external_userid": ["wm1"], "text": {"content": "x"}})
    assert march["errcode"] == 0
