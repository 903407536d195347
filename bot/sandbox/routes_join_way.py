"""Group live codes (群活码, 客户群进群方式): add/get/update/del_join_way (doc 92229).

A code lists up to 5 groups; a scan joins the first that isn't full (200 members for a QR
join), and with `auto_create_room` WeCom makes the next group itself (`room_base_name` + a
number). `state` (≤30 characters) comes back on the join event. Errcodes the docs don't name
for a case are marked unconfirmed, as elsewhere in the sandbox.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, as_int, as_str, invalid, max_chars, str_list
from bot.sandbox.state import JoinWay

router = EndpointTable()

MAX_CHATS = 5
MAX_TEXT = 30  # remark and state, characters
MAX_ROOM_NAME = 40
MAX_JOIN_WAYS = 500_000  # shared with 联系我 codes, per corp


def _options(ctx: Ctx, way: JoinWay, body: JsonDict) -> None:
    if "remark" in body:
        way.remark = max_chars(body.get("remark"), "remark", MAX_TEXT)
    if "state" in body:
        way.state = max_chars(body.get("state"), "state", MAX_TEXT)
    if "auto_create_room" in body:
        way.auto_create_room = as_int(body.get("auto_create_room"), "auto_create_room")
        if way.auto_create_room not in (0, 1):
            raise invalid("auto_create_room", "must be 0 or 1")
    if "room_base_name" in body:
        way.room_base_name = max_chars(body.get("room_base_name"), "room_base_name", MAX_ROOM_NAME)
    if "room_base_id" in body:
        way.room_base_id = as_int(body.get("room_base_id"), "room_base_id")
    if "chat_id_list" in body:
        chats = str_list(body.get("chat_id_list"), "chat_id_list", MAX_CHATS)
        for chat_id in chats:
            if chat_id not in ctx.state.groups:
                raise ApiError(40050, f"invalid chatid {chat_id[:64]}")  # unconfirmed errcode
        way.chat_id_list = list(dict.fromkeys(chats))
    if not way.chat_id_list:
        raise invalid("chat_id_list", "is empty")  # unconfirmed errcode


def _way(ctx: Ctx) -> JoinWay:
    config_id = as_str(ctx.body.get("config_id"), "config_id")
    if not config_id:
        raise ApiError(41043)  # as for 联系我 codes; unconfirmed for join ways
    way = ctx.state.join_ways.get(config_id)
    if way is None:
        raise ApiError(41044)  # unconfirmed for join ways
    return way


def way_json(way: JoinWay) -> JsonDict:
    result: dict[str, Any] = {
        "config_id": way.config_id,
        "scene": way.scene,
        "remark": way.remark,
        "auto_create_room": way.auto_create_room,
        "room_base_name": way.room_base_name,
        "room_base_id": way.room_base_id,
        "chat_id_list": list(way.chat_id_list),
        "state": way.state,
    }
    if way.qr_code:
        result["qr_code"] = way.qr_code
    return result


@router.route("externalcontact/groupchat/add_join_way")
async def add_join_way(ctx: Ctx) -> JsonDict:
    body = ctx.body
    if body.get("scene") is None:
        raise ApiError(41038)  # as for 联系我 codes; unconfirmed for join ways
    scene = as_int(body.get("scene"), "scene")
    if scene not in (1, 2):
        raise ApiError(41040)  # unconfirmed for join ways
    if len(ctx.state.join_ways) + len(ctx.state.contact_ways) >= MAX_JOIN_WAYS:
        raise ApiError(41045)
    config_id = ctx.state.new_id("", 32).lower()
    way = JoinWay(config_id, scene, ctx.now)
    _options(ctx, way, body)
    if scene == 2:  # a QR code; scene 1 is a mini-program button, without an image
        host = ctx.sandbox.base_url or "https://wework.qpic.cn"
        way.qr_code = f"{host}/wwpic/sandbox/{config_id}/0"
    ctx.state.join_ways[config_id] = way
    return {"config_id": config_id}


@router.route("externalcontact/groupchat/get_join_way")
async def get_join_way(ctx: Ctx) -> JsonDict:
    return {"join_way": way_json(_way(ctx))}


@router.route("externalcontact/groupchat/update_join_way")
async def update_join_way(ctx: Ctx) -> JsonDict:
    way = _way(ctx)
    if "scene" in ctx.body:
        scene = as_int(ctx.body.get("scene"), "scene")
        if scene not in (1, 2):
            raise ApiError(41040)
        way.scene = scene
    _options(ctx, way, ctx.body)
    return {}


@router.route("externalcontact/groupchat/del_join_way")
async def del_join_way(ctx: Ctx) -> JsonDict:
    way = _way(ctx)
    del ctx.state.join_ways[way.config_id]
    return {}
