"""Who the sidebar is talking to: JS-SDK signatures, the customer's profile, the group.

A member sees only customers they follow and groups they own or belong to; both are checked
here, on the server, against WeCom's own answer, whatever id the page asks about.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SETTINGS, WECOM
from bot.clock import corp_clock
from bot.config import Settings
from bot.rfm.runner import segment_of
from bot.wecom import WeComError
from bot.wecom.api.jsapi import jsapi_signature
from bot.welcome.channels import STATE_PREFIX, ChannelStore
from sidebar_web.common import (
    NOT_IN_GROUP,
    NOT_YOUR_CUSTOMER,
    SidebarError,
    ok,
    session_of,
    wecom_failure,
)
from sidebar_web.session import sidebar_path

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_URL = 2048


def checked_id(value: str, what: str) -> str:
    if not _ID.fullmatch(value):
        raise SidebarError(400, f"{what} ID 无效")
    return value


def corp_time(timestamp: Any) -> str:
    try:
        return corp_clock(int(timestamp))
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def signable(url: str, settings: Settings) -> str:
    """The URL without its fragment, if it is a sidebar page of this server; else 400."""
    url = url.split("#", 1)[0]
    parts = urlsplit(url)
    public = urlsplit(settings.public_url)
    inside = (
        parts.scheme == public.scheme
        and parts.netloc.lower() == public.netloc.lower()
        and parts.path.startswith(sidebar_path(settings.public_url))
    )
    if len(url) > MAX_URL or not inside or any(ch.isspace() for ch in url):
        raise SidebarError(400, "只能为本应用侧边栏的页面生成签名")
    return url


async def signature(request: web.Request) -> web.Response:
    """`{timestamp, nonceStr, signature}` for `ww.register`'s config and agentConfig."""
    settings = request.config_dict[SETTINGS]
    url = signable(request.query.get("url", ""), settings)
    jsapi = request.config_dict[WECOM].jsapi
    try:
        corp_ticket = await jsapi.corp_ticket.get()
        agent_ticket = await jsapi.agent_ticket.get()
    except WeComError as exc:
        raise SidebarError(502, f"无法取得 JS-SDK 票据：{exc.explanation}") from None

    def signed(ticket: str) -> dict[str, Any]:
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        sign = jsapi_signature(ticket, nonce, timestamp, url)
        return {"timestamp": timestamp, "nonceStr": nonce, "signature": sign}

    return ok(
        {
            "corpId": settings.corp_id,
            "agentId": settings.agent_id,
            "config": signed(corp_ticket),
            "agentConfig": signed(agent_ticket),
        }
    )


async def followed_record(request: web.Request, external_userid: str) -> dict[str, Any]:
    """WeCom's record of the customer (`externalcontact/get`); 403 unless the signed-in member
    follows them."""
    checked_id(external_userid, "客户")
    userid = session_of(request).userid
    try:
        data = await request.config_dict[WECOM].external_contact.get(external_userid)
    except WeComError as exc:
        raise wecom_failure(exc) from None
    # one page of follow_user is enough: WeCom lists at most 500 followers per page, and a
    # customer with more is not one a member opens from their own chat
    if any(f.get("userid") == userid for f in data.get("follow_user", [])):
        return dict(data)
    raise SidebarError(403, NOT_YOUR_CUSTOMER)


def _parts(data: dict[str, Any], userid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    follow = next(f for f in data.get("follow_user", []) if f.get("userid") == userid)
    return dict(data.get("external_contact", {})), dict(follow)


async def followed_customer(
    request: web.Request, external_userid: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the customer, the signed-in member's follow entry); 403 when they don't follow them."""
    data = await followed_record(request, external_userid)
    return _parts(data, session_of(request).userid)


async def joined_group(request: web.Request, chat_id: str) -> dict[str, Any]:
    """The group, if the signed-in member owns, administers or is in it; else 403."""
    checked_id(chat_id, "客户群")
    userid = session_of(request).userid
    try:
        group = await request.config_dict[WECOM].external_contact.get_group_chat(chat_id)
    except WeComError as exc:
        raise wecom_failure(exc) from None
    staff = {m.get("userid") for m in group.get("member_list", []) if m.get("type") == 1}
    admins = {a.get("userid") for a in group.get("admin_list", [])}
    if userid != group.get("owner") and userid not in staff | admins:
        raise SidebarError(403, NOT_IN_GROUP)
    return group


async def channel_name(
    request: web.Request, userid: str, external_userid: str, follow: dict[str, Any]
) -> str:
    """The channel code the customer came through: recorded by the bot, else the add's State."""
    config = request.config_dict
    redis, keys = config[REDIS], config[KEYS]
    channel_id = await redis.hget(keys.channel_customers, f"{userid}|{external_userid}")
    state = str(follow.get("state") or "")
    if not channel_id and state.startswith(STATE_PREFIX):
        channel_id = state[len(STATE_PREFIX) :]
    if channel_id:
        channel = await ChannelStore(redis, keys).get(str(channel_id))
        return channel.name if channel else str(channel_id)
    return state  # a 联系我 code made outside the bot: its raw state is all there is


async def customer(request: web.Request) -> web.Response:
    """The profile of the customer in the current single chat: WeCom's record (kept in the
    stored profile on the way) with what the bot counted."""
    external_userid = request.match_info["id"]
    data = await followed_record(request, external_userid)
    userid = session_of(request).userid
    contact, follow = _parts(data, userid)
    profiles = request.config_dict[HANDLER_CONTEXT].services.profiles
    await profiles.record_contact(data, int(time.time()))
    stored = await profiles.get(external_userid)
    mine = stored.follows.get(userid)
    rfm = await segment_of(request.config_dict[REDIS], request.config_dict[KEYS], external_userid)
    tags = [
        {"group": str(t.get("group_name", "")), "name": str(t.get("tag_name", ""))}
        for t in follow.get("tags", [])
    ]
    return ok(
        {
            "external_userid": contact.get("external_userid", ""),
            "name": contact.get("name", ""),
            "avatar": contact.get("avatar", ""),
            "corp_name": contact.get("corp_name", ""),
            "wecom_user": contact.get("type") == 2,
            "remark": follow.get("remark", ""),
            "description": follow.get("description", ""),
            "tags": tags,
            "added_at": corp_time(follow.get("createtime")),
            "channel": await channel_name(request, userid, external_userid, follow),
            "last_activity": _when(stored.last_message_at),
            "last_customer_message": _when(stored.last_customer_message_at),
            "messages": stored.messages,
            "messages_with_me": mine.messages if mine else 0,
            "segment": _segment(rfm),
            "other_staff": sum(
                1 for f in stored.follows.values() if f.connected and f.userid != userid
            ),
        }
    )


def _segment(rfm: dict[str, Any] | None) -> dict[str, Any] | None:
    """The customer's RFM segment for display: name, orders and spend in the window."""
    if not rfm:
        return None
    return {
        "name": str(rfm.get("segment", "")),
        "orders": int(rfm.get("f", 0)),
        "spent": f"{int(rfm.get('m_cents', 0)) / 100:.2f}",
        "window_days": int(rfm.get("window_days", 0)),
        "last_order": _when(int(rfm.get("last_paid_at", 0))),
    }


def _when(timestamp: int) -> str | None:
    return corp_time(timestamp) if timestamp else None


async def group(request: web.Request) -> web.Response:
    """The customer group of the current group chat."""
    found = await joined_group(request, request.match_info["id"])
    members = found.get("member_list", [])
    owner: dict[str, Any] = next((m for m in members if m.get("userid") == found.get("owner")), {})
    return ok(
        {
            "chat_id": found.get("chat_id", ""),
            "name": found.get("name") or "未命名客户群",
            "owner": owner.get("name") or found.get("owner", ""),
            "is_owner": found.get("owner") == session_of(request).userid,
            "customers": sum(1 for m in members if m.get("type") == 2),
            "staff": sum(1 for m in members if m.get("type") == 1),
            "created_at": corp_time(found.get("create_time")),
            "notice": found.get("notice", ""),
        }
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/signature", signature)
    app.router.add_get("/api/customers/{id}", customer)
    app.router.add_get("/api/groups/{id}", group)
