"""Credentials: `gettoken` (doc 91039), OAuth2 `auth/getuserinfo` (doc 91023) and the JS-SDK
tickets `get_jsapi_ticket` / `ticket/get?type=agent_config` (doc 90506); the app itself,
`agent/get` (doc 90227), the contacts' `user/get` (doc 90196) and `tag/get` (doc 90213), and
`externalcontact/get_follow_user_list` (doc 92571)."""

from __future__ import annotations

from bot.sandbox.dispatch import APP_TOKEN, NO_TOKEN, Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict
from bot.sandbox.state import Expiring
from bot.sandbox.tokens import APP, ARCHIVE, CONTACT

router = EndpointTable()

TICKET_LIFETIME = 7200


@router.route("gettoken", auth=NO_TOKEN)
async def gettoken(ctx: Ctx) -> JsonDict:
    corpid = ctx.query.get("corpid", "")
    secret = ctx.query.get("corpsecret", "")
    if not corpid:
        raise ApiError(41002)
    if corpid != ctx.sandbox.corp_id:
        raise ApiError(40013)
    if not secret:
        raise ApiError(41004)
    if secret == ctx.sandbox.app_secret:
        kind = APP
    elif secret == ctx.sandbox.contact_secret:
        kind = CONTACT
    elif secret == ctx.sandbox.archive_secret:
        kind = ARCHIVE
    else:
        raise ApiError(40001)
    token = ctx.sandbox.tokens.issue(kind)
    return {
        "access_token": token.value,
        "expires_in": max(int(token.expires_at - ctx.now), 1),
    }


@router.route("auth/getuserinfo", auth=APP_TOKEN)
async def getuserinfo(ctx: Ctx) -> JsonDict:
    value = ctx.query.get("code", "")
    if not value:
        raise ApiError(41008)
    code = ctx.state.oauth_codes.get(value)
    if code is None or code.used or ctx.now >= code.expires_at:
        if code is not None:
            code.used = True
        raise ApiError(40029)
    code.used = True
    return {"userid": code.owner, "user_ticket": ctx.state.new_id("", 48)}


def _ticket(ctx: Ctx, kind: str) -> JsonDict:
    current = ctx.state.tickets.get(kind)
    if current is None or ctx.now >= current.expires_at:
        current = Expiring(ctx.state.new_id("", 86), kind, ctx.now + TICKET_LIFETIME)
        ctx.state.tickets[kind] = current
    return {"ticket": current.value, "expires_in": max(int(current.expires_at - ctx.now), 1)}


@router.route("get_jsapi_ticket", auth=APP_TOKEN)
async def get_jsapi_ticket(ctx: Ctx) -> JsonDict:
    """The corp ticket, for `wx.config`/`ww.register` getConfigSignature."""
    return _ticket(ctx, "corp")


@router.route("ticket/get", auth=APP_TOKEN)
async def ticket_get(ctx: Ctx) -> JsonDict:
    """The app ticket, for agentConfig; only `type=agent_config` exists."""
    if ctx.query.get("type") != "agent_config":
        raise ApiError(91040)
    return _ticket(ctx, "agent")


@router.route("agent/get", auth=APP_TOKEN)
async def agent_get(ctx: Ctx) -> JsonDict:
    """The app's own settings (doc 90227); `scrm-bot doctor` probes the app secret with it."""
    agentid = ctx.query.get("agentid", "")
    if not agentid:
        raise ApiError(41011)
    if agentid != str(ctx.sandbox.agent_id):
        raise ApiError(40056)
    return {
        "agentid": ctx.sandbox.agent_id,
        "name": "SCRM 助手（沙箱）",
        "description": "",
        "allow_userinfos": {"user": [{"userid": u} for u in sorted(ctx.state.staff)]},
        "close": 0,
        "redirect_domain": "",
        "home_url": "",
    }


@router.route("user/get", auth=APP_TOKEN)
async def user_get(ctx: Ctx) -> JsonDict:
    """One staff member (doc 90196): name and departments; the first department is the main."""
    userid = ctx.query.get("userid", "")
    if not userid:
        raise ApiError(41009)
    member = ctx.state.staff.get(userid)
    if member is None:
        raise ApiError(60111)
    return {
        "userid": member.userid,
        "name": member.name,
        "department": list(member.department),
        "main_department": member.department[0] if member.department else 1,
        "status": 1,
    }


@router.route("tag/get", auth=APP_TOKEN)
async def tag_get(ctx: Ctx) -> JsonDict:
    """A contact tag's members (doc 90213): the staff listed and the departments listed."""
    value = ctx.query.get("tagid", "")
    if not value:
        raise ApiError(41017, "missing tagid")
    tag = ctx.state.member_tags.get(int(value)) if value.isascii() and value.isdigit() else None
    if tag is None:
        raise ApiError(40068)
    staff = ctx.state.staff
    return {
        "tagname": tag.name,
        "userlist": [{"userid": u, "name": staff[u].name if u in staff else u} for u in tag.users],
        "partylist": list(tag.departments),
    }


@router.route("externalcontact/get_follow_user_list")
async def get_follow_user_list(ctx: Ctx) -> JsonDict:
    """Staff with customer contact enabled (doc 92571): every sandbox staff member."""
    return {"follow_user": sorted(ctx.state.staff)}
