"""联系我 channel codes: add/get/update/del/list_contact_way (doc 92228)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import (
    ApiError,
    JsonDict,
    as_dict,
    as_int,
    as_list,
    as_str,
    invalid,
    max_chars,
    str_list,
)
from bot.sandbox.state import ContactWay

router = EndpointTable()

MAX_USERS = 100  # including the members of the listed departments
MAX_CONTACT_WAYS = 500_000  # per corp, through the API
MAX_TEXT = 30  # state and remark, characters
EXTRA_FIELDS = (
    "is_temp",
    "expires_in",
    "chat_expires_in",
    "unionid",
    "is_exclusive",
    "conclusions",
)


def _people(ctx: Ctx, way: ContactWay, body: JsonDict) -> None:
    """Validate and apply `user` and `party` against the way's type."""
    if "user" in body:
        way.user = str_list(body.get("user"), "user")
    if "party" in body:
        party = as_list(body.get("party"), "party")
        way.party = [as_int(p, "party") for p in party]
    for userid in way.user:
        if userid not in ctx.state.staff:
            raise ApiError(40003, f"invalid userid {userid[:64]}")
    for department in way.party:
        if not ctx.state.department_members(department):
            raise ApiError(40066, f"invalid party {department}")
    if way.type == 1 and (len(way.user) != 1 or way.party):
        raise invalid("user", "must hold exactly one userid when type is 1")  # unconfirmed
    if way.type == 2 and not way.user and not way.party:
        raise invalid("user", "and party are both empty")  # unconfirmed errcode
    everyone = set(way.user)
    for department in way.party:
        everyone.update(ctx.state.department_members(department))
    if len(everyone) > MAX_USERS:
        raise ApiError(41041)


def _options(way: ContactWay, body: JsonDict) -> None:
    if "remark" in body:
        way.remark = max_chars(body.get("remark"), "remark", MAX_TEXT)
    if "state" in body:
        way.state = max_chars(body.get("state"), "state", MAX_TEXT)
    if "style" in body:
        way.style = as_int(body.get("style"), "style")
    if "skip_verify" in body:
        way.skip_verify = bool(body.get("skip_verify"))
    for key in EXTRA_FIELDS:
        if key in body:
            way.extra[key] = body[key]


def _way(ctx: Ctx) -> ContactWay:
    config_id = as_str(ctx.body.get("config_id"), "config_id")
    if not config_id:
        raise ApiError(41043)
    way = ctx.state.contact_ways.get(config_id)
    if way is None:
        raise ApiError(41044)
    return way


def way_json(way: ContactWay) -> JsonDict:
    result: dict[str, Any] = {
        "config_id": way.config_id,
        "type": way.type,
        "scene": way.scene,
        "style": way.style,
        "remark": way.remark,
        "skip_verify": way.skip_verify,
        "state": way.state,
        "user": list(way.user),
        "party": list(way.party),
    }
    if way.qr_code:
        result["qr_code"] = way.qr_code
    result.update(way.extra)
    return result


@router.route("externalcontact/add_contact_way")
async def add_contact_way(ctx: Ctx) -> JsonDict:
    body = ctx.body
    if body.get("type") is None:
        raise ApiError(41037)
    kind = as_int(body.get("type"), "type")
    if kind not in (1, 2):
        raise ApiError(41039)
    if body.get("scene") is None:
        raise ApiError(41038)
    scene = as_int(body.get("scene"), "scene")
    if scene not in (1, 2):
        raise ApiError(41040)
    if len(ctx.state.contact_ways) >= MAX_CONTACT_WAYS:
        raise ApiError(41045)
    config_id = ctx.state.new_id("", 32).lower()
    way = ContactWay(config_id, kind, scene, ctx.now)
    _options(way, body)
    _people(ctx, way, body)
    if scene == 2:  # only QR codes have an image; scene 1 is a mini-program button
        # WeCom's image host, imitated by the sandbox's own server (`/wwpic/…`, a real PNG)
        host = ctx.sandbox.base_url or "https://wework.qpic.cn"
        way.qr_code = f"{host}/wwpic/sandbox/{config_id}/0"
    ctx.state.contact_ways[config_id] = way
    result: JsonDict = {"config_id": config_id}
    if way.qr_code:
        result["qr_code"] = way.qr_code
    return result


@router.route("externalcontact/get_contact_way")
async def get_contact_way(ctx: Ctx) -> JsonDict:
    return {"contact_way": way_json(_way(ctx))}


@router.route("externalcontact/update_contact_way")
async def update_contact_way(ctx: Ctx) -> JsonDict:
    way = _way(ctx)
    draft = replace(way, user=list(way.user), party=list(way.party), extra=dict(way.extra))
    _options(draft, ctx.body)
    _people(ctx, draft, ctx.body)
    ctx.state.contact_ways[way.config_id] = draft  # all or nothing
    return {}


@router.route("externalcontact/del_contact_way")
async def del_contact_way(ctx: Ctx) -> JsonDict:
    del ctx.state.contact_ways[_way(ctx).config_id]
    return {}


@router.route("externalcontact/list_contact_way")
async def list_contact_way(ctx: Ctx) -> JsonDict:
    body = as_dict(ctx.body, "body")
    end = as_int(body.get("end_time"), "end_time", default=int(ctx.now))
    start = as_int(body.get("start_time"), "start_time", default=end - 90 * 86400)
    limit = as_int(body.get("limit"), "limit", default=100)
    if not 1 <= limit <= 1000:
        raise invalid("limit", "must be 1-1000")
    cursor = as_str(body.get("cursor"), "cursor")
    offset = 0
    if cursor:
        if not cursor.startswith("cw") or not cursor[2:].isdigit():
            raise ApiError(50100)
        offset = int(cursor[2:])
    ways = sorted(
        (w for w in ctx.state.contact_ways.values() if start <= w.created <= end + 1),
        key=lambda w: w.created,
    )
    page = ways[offset : offset + limit]
    more = offset + limit < len(ways)
    return {
        "contact_way": [{"config_id": w.config_id} for w in page],
        "next_cursor": f"cw{offset + limit}" if more else "",
    }
