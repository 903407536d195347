"""Console sign-in, by WeCom only, into a server-side session.

Inside the WeCom client the console is opened through OAuth2 (doc 91022, silent `snsapi_base`);
in a desktop browser through WeCom's web login (扫码登录, doc 98151: `wwlogin/sso/login`, the
member scans the code with WeCom). Both come back to `/console/auth/callback` with a code that
`auth/getuserinfo` (doc 91023) turns into the member's user id. The `state` is signed and bound to
the browser by a short-lived cookie, as the sidebar's (`sidebar_web.oauth_state`, under a label
of the console's own), so starting a sign-in writes nothing to Redis.

Only admins (the one admin policy: SCRM_ADMINS, SCRM_ADMIN_DEPARTMENTS, SCRM_ADMIN_TAGS) and the
read-only viewers in SCRM_CONSOLE_VIEWERS get a session; the role is checked again on every
request, so taking someone off the list takes effect at once.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.admin.admins import AdminCheck
from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SETTINGS, WECOM
from bot.config import Settings
from bot.wecom import WeComError
from bot.wecom.errors import ErrCode
from console_web.pages import error_page
from sidebar_web.oauth import set_cookie
from sidebar_web.oauth_state import OAUTH_SECONDS, StateSigner, state_key
from sidebar_web.session import Session, SessionStore

CALLBACK = "auth/callback"
SESSION_COOKIE = "scrm_console"
OAUTH_COOKIE = "scrm_console_oauth"
SESSION_SECONDS = 8 * 3600
NAME_LOOKUP_SECONDS = 2.0
_LABEL = b"scrm-bot/console/oauth-state/v1"
_CODE = re.compile(r"[A-Za-z0-9_-]{1,512}")
# a console page to come back to: one or two plain segments, never a scheme, host or ".."
_BACK = re.compile(r"[a-z][a-z-]{0,40}(?:/[a-z0-9_-]{1,64})?")

ADMIN, VIEWER = "admin", "viewer"


def console_path(public_url: str) -> str:
    """The console's path as the browser sees it (`/console/`, or under the proxy's prefix)."""
    return urlsplit(public_url).path.rstrip("/") + "/console/"


def sessions(request: web.Request) -> SessionStore:
    config = request.config_dict
    return SessionStore(config[REDIS], config[KEYS], SESSION_SECONDS, console=True)


def signer(settings: Settings) -> StateSigner:
    return StateSigner(state_key(settings, _LABEL))


def in_wecom(request: web.Request) -> bool:
    """Opened in the WeCom client (its user agent says `wxwork`): OAuth2 signs in silently."""
    return "wxwork" in request.headers.get("User-Agent", "").lower()


def login_url(settings: Settings, state: str, back: str, *, wecom: bool) -> str:
    redirect = f"{settings.public_url}/console/{CALLBACK}"
    if back:
        redirect += "?" + urlencode({"back": back})
    if wecom:
        query = {
            "appid": settings.corp_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": settings.agent_id,
        }
        return f"{settings.oauth_authorize_url}?{urlencode(query)}#wechat_redirect"
    query = {
        "login_type": "CorpApp",
        "appid": settings.corp_id,
        "agentid": settings.agent_id,
        "redirect_uri": redirect,
        "state": state,
    }
    return f"{settings.web_login_url}?{urlencode(query)}"


def _cookie(
    response: web.StreamResponse, settings: Settings, name: str, value: str, age: int
) -> None:
    set_cookie(response, settings, name, value, age, console_path(settings.public_url))


async def start(request: web.Request, back: str = "") -> web.Response:
    """Off to WeCom to sign in (OAuth2 in the client, web login elsewhere)."""
    settings = request.config_dict[SETTINGS]
    issued = signer(settings).issue()
    back = back if _BACK.fullmatch(back) else ""
    location = login_url(settings, issued.state, back, wecom=in_wecom(request))
    response = web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})
    _cookie(response, settings, OAUTH_COOKIE, issued.binding, OAUTH_SECONDS)
    return response


async def role_of(request: web.Request, userid: str) -> str | None:
    """admin, viewer, or None (no console for this member)."""
    settings = request.config_dict[SETTINGS]
    if await AdminCheck(request.config_dict[HANDLER_CONTEXT]).is_admin(userid):
        return ADMIN
    return VIEWER if userid in settings.console_viewers else None


def _refused_state(home: str) -> web.Response:
    return error_page(
        400, "登录校验失败", "登录请求已过期，或不是从这个浏览器发起的。请重新打开管理后台。", home
    )


async def callback(request: web.Request) -> web.Response:
    """Check the state, exchange the code, check the role, open a session."""
    settings = request.config_dict[SETTINGS]
    home = console_path(settings.public_url)
    code = request.query.get("code", "")
    if not _CODE.fullmatch(code):
        return error_page(400, "登录失败", "企业微信没有返回有效的登录码，请重新登录。", home)
    states, state = signer(settings), request.query.get("state", "")
    if not states.valid(state, request.cookies.get(OAUTH_COOKIE)):
        return _refused_state(home)
    wecom = request.config_dict[WECOM]
    try:
        userid = await wecom.auth.get_user_id(code)
    except WeComError as exc:
        if exc.errcode == ErrCode.INVALID_OAUTH_CODE:
            return error_page(400, "登录失败", "登录码无效或已被使用，请重新登录。", home)
        message = f"企业微信暂时无法完成登录（错误码 {exc.errcode}）：{exc.explanation}"
        return error_page(502, "登录失败", message, home)
    if userid is None or await role_of(request, userid) is None:
        return error_page(403, "无权使用", NOT_ALLOWED, home, action="重新登录")
    store = sessions(request)
    if not await store.spend_state(state, states.seconds_left(state)):
        return _refused_state(home)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a shared computer: the previous member's session ends here
        await store.delete(old)
    directory = request.config_dict[HANDLER_CONTEXT].services.directory
    name = await directory.name(userid, budget=NAME_LOOKUP_SECONDS)
    session_id, _ = await store.create(userid, name)
    back = request.query.get("back", "")
    location = f"{home}{back if _BACK.fullmatch(back) else ''}?signed_in={int(time.time())}"
    response = web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})
    _cookie(response, settings, SESSION_COOKIE, session_id, store.ttl)
    response.del_cookie(OAUTH_COOKIE, path=home)
    return response


NOT_ALLOWED = (
    "管理后台只对管理员开放（查看数据的成员由 SCRM_CONSOLE_VIEWERS 指定）。"
    "如需使用，请联系企业微信管理员把您加入管理员名单。"
)


async def signed_in(request: web.Request) -> Session | None:
    return await sessions(request).load(request.cookies.get(SESSION_COOKIE))


def just_signed_in(request: web.Request) -> bool:
    value = request.query.get("signed_in", "")
    return value.isdigit() and 0 <= time.time() - int(value) < 60


async def sign_out(request: web.Request) -> web.Response:
    """End the session (POST, CSRF-checked by the guard) and go back to the sign-in."""
    settings = request.config_dict[SETTINGS]
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await sessions(request).delete(session_id)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path=console_path(settings.public_url))
    return response
