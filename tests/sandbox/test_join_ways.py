"""Group live codes (群活码): add/get/update/del_join_way with the documented limits, in the
sandbox's raw API and through the client's `GroupJoinAPI`."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.sandbox import Sandbox
from bot.wecom import WeComClient, WeComError
from tests.sandbox.helpers import Api

ADD = "externalcontact/groupchat/add_join_way"


@pytest.fixture
async def groups(sandbox: Sandbox) -> list[str]:
    chats = [f"wrGroup{n:09d}" for n in range(6)]
    for chat in chats:
        await sandbox.group_created("lisi", chat, ["zhangsan"], name=f"福利群{chat[-1]}")
    return chats


async def test_add_get_update_delete(contact_api: Api, groups: list[str]) -> None:
    config = {
        "scene": 2,
        "remark": "门店群码",
        "auto_create_room": 1,
        "room_base_name": "福利群",
        "room_base_id": 10,
        "chat_id_list": groups[:2],
        "state": "gc:store1",
    }
    added = await contact_api.post(ADD, config)
    assert added["errcode"] == 0
    config_id = added["config_id"]
    got = (
        await contact_api.post("externalcontact/groupchat/get_join_way", {"config_id": config_id})
    )["join_way"]
    assert got["chat_id_list"] == groups[:2] and got["state"] == "gc:store1"
    assert got["qr_code"].startswith("https://") and got["room_base_name"] == "福利群"
    update = {"config_id": config_id, "chat_id_list": groups[2:5], "auto_create_room": 0}
    assert (await contact_api.post("externalcontact/groupchat/update_join_way", update))[
        "errcode"
    ] == 0
    got = (
        await contact_api.post("externalcontact/groupchat/get_join_way", {"config_id": config_id})
    )["join_way"]
    assert (got["chat_id_list"], got["auto_create_room"]) == (groups[2:5], 0)
    gone = await contact_api.post(
        "externalcontact/groupchat/del_join_way", {"config_id": config_id}
    )
    assert gone["errcode"] == 0
    again = await contact_api.post(
        "externalcontact/groupchat/get_join_way", {"config_id": config_id}
    )
    assert again["errcode"] == 41044


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        ({"chat_id_list": "six"}, 40058),  # not a list
        ({"remark": "码" * 31}, 40058),  # remark over 30 characters
        ({"state": "s" * 31}, 40058),  # state over 30 characters
        ({"room_base_name": "群" * 41}, 40058),
        ({"auto_create_room": 2}, 40058),
        ({"scene": 3}, 41040),
        ({"scene": None}, 41038),
        ({"chat_id_list": []}, 40058),
        ({"chat_id_list": ["wrNobody"]}, 40050),
    ],
)
async def test_limits(
    contact_api: Api, groups: list[str], change: dict[str, Any], errcode: int
) -> None:
    config = {"scene": 2, "chat_id_list": groups[:1]} | change
    answer = await contact_api.post(ADD, {k: v for k, v in config.items() if v is not None})
    assert answer["errcode"] == errcode, answer


async def test_at_most_five_groups(contact_api: Api, groups: list[str]) -> None:
    answer = await contact_api.post(ADD, {"scene": 2, "chat_id_list": groups})
    assert answer["errcode"] == 40058 and "max 5" in answer["errmsg"]


async def test_the_client_round_trip(
    sandbox_settings: Settings, live_sandbox: Sandbox, redis: Redis
) -> None:
    await live_sandbox.group_created("lisi", "wrClientGroup001", ["zhangsan"], name="福利群")
    async with aiohttp.ClientSession() as session:
        client = WeComClient.from_settings(sandbox_settings, session, redis)
        config_id = await client.group_join.add(
            scene=2, chat_id_list=["wrClientGroup001"], state="gc:abc", room_base_name="福利群"
        )
        way = await client.group_join.get(config_id)
        assert way["state"] == "gc:abc" and way["qr_code"]
        await client.group_join.update(config_id, remark="门店")
        assert (await client.group_join.get(config_id))["remark"] == "门店"
        await client.group_join.delete(config_id)
        with pytest.raises(WeComError) as refused:
            await client.group_join.get(config_id)
        assert refused.value.errcode == 41044
