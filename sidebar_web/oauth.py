"""Sign-in: OAuth2 with WeCom (docs 91022, 91023) into a server-side session.

`/sidebar/` without a session redirects to WeCom's authorize page with a signed `state` bound to
this browser by a short-lived cookie (`sidebar_web.oauth_state`: nothing is stored for a visitor);
WeCom redirects back to `/sidebar/auth/callback` with a single-use code, which `auth/getuserinfo`
turns into the staff member's user id; only then is the state marked used. A page other
than `/sidebar/` (an SOP task's) names itself in the callback's `back`, to be returned to.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from aiohttp import web

from bot.appkeys import KEYS, REDIS, SETTINGS, WECOM
from bot.config import Settings
from bot.directory import StaffDirectory
from bot.wecom import WeComError
from bot.wecom.errors import ErrCode
from sidebar_web.common import sessions
from sidebar_web.oauth_state import OAUTH_SECONDS, StateSigner, state_key
from sidebar_web.pages import error_page
from sidebar_web.session import (
    OAUTH_COOKIE,
    SESSION_COOKIE,
    Session,
    secure_cookies,
    sidebar_path,
)

CALLBACK = "auth/callback"
NAME_LOOKUP_SECONDS = 2.0
_CODE = re.compile(r"[A-Za-z0-9_-]{1,512}")
# a page under the sidebar to return to: letters, digits, _ and -, in up to three segments;
# never a scheme, a host or "..", so the callback can't be made to send anyone elsewhere
_BACK = re.compile(r"[a-z]+(?:/[A-Za-z0-9_-]{1,64}){0,2}")


def authorize_url(settings: Settings, state: str, back: str = "") -> str:
    redirect = f"{settings.public_url}/sidebar/{CALLBACK}"
    if back:
        redirect += "?" + urlencode({"back": back})
    query = urlencode(
        {
            "appid": settings.corp_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "snsapi_base",  # silent: the user id is all the sidebar needs
            "state": state,
            "agentid": settings.agent_id,
        }
    )
    return f"{settings.oauth_authorize_url}?{query}#wechat_redirect"


def set_cookie(
    response: web.StreamResponse,
    settings: Settings,
    name: str,
    value: str,
    max_age: int,
    path: str = "",
) -> None:
    """A sign-in cookie: HttpOnly, SameSite=Lax, Secure off loopback, for the sidebar's path
    (or `path`: the console's)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path or sidebar_path(settings.public_url),
        httponly=True,
        samesite="Lax",  # sent on WeCom's redirect back (a top-level GET), not on cross-site POSTs
        secure=secure_cookies(settings.public_url),
    )


async def start(request: web.Request, back: str = "") -> web.Response:
    """Send the browser to WeCom's authorize page; once signed in it comes back to `back`
    (a path under `/sidebar/`, e.g. `sop/<task>`), or to the sidebar itself."""
    settings = request.config_dict[SETTINGS]
    issued = signer(settings).issue()
    location = authorize_url(settings, issued.state, back if _BACK.fullmatch(back) else "")
    response = web.Response(status=302, headers={"Location": location})
    set_cookie(response, settings, OAUTH_COOKIE, issued.binding, OAUTH_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


async def callback(request: web.Request) -> web.Response:
    """Check the state, exchange the code, open a session and go to the sidebar."""
    settings = request.config_dict[SETTINGS]
    home = sidebar_path(settings.public_url)
    code = request.query.get("code", "")
    if not _CODE.fullmatch(code):
        return error_page(400, "登录失败", "企业微信没有返回有效的登录码，请重新打开侧边栏。", home)
    store, states = sessions(request), signer(settings)
    state = request.query.get("state", "")
    if not states.valid(state, request.cookies.get(OAUTH_COOKIE)):
        return _state_refused(home)
    wecom = request.config_dict[WECOM]
    try:
        userid = await wecom.auth.get_user_id(code)
    except WeComError as exc:
        if exc.errcode == ErrCode.INVALID_OAUTH_CODE:
            message = "登录码无效或已被使用，请重新打开侧边栏。"
        else:
            message = f"企业微信暂时无法完成登录（错误码 {exc.errcode}）：{exc.explanation}"
        return error_page(
            400 if exc.errcode == ErrCode.INVALID_OAUTH_CODE else 502, "登录失败", message, home
        )
    if userid is None:
        return error_page(403, "无法使用", "只有本企业的成员可以使用聊天工具栏。", home)
    # WeCom's codes are single-use too; this also stops a state replayed with a new code
    if not await store.spend_state(state, states.seconds_left(state)):
        return _state_refused(home)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a shared device: the previous member's session ends here
        await store.delete(old)
    config = request.config_dict
    directory = StaffDirectory(config[REDIS], config[KEYS], wecom.user)
    # one user/get gives the name now and the departments the first search needs
    name = await directory.name(userid, budget=NAME_LOOKUP_SECONDS)
    session_id, _ = await store.create(userid, name)
    back = request.query.get("back", "")
    page = back if _BACK.fullmatch(back) else ""
    # the time lets the page tell "the cookie just set did not come back" from a stale link
    location = f"{home}{page}?signed_in={int(time.time())}"
    response = web.Response(status=302, headers={"Location": location})
    set_cookie(response, settings, SESSION_COOKIE, session_id, store.ttl)
    response.del_cookie(OAUTH_COOKIE, path=home)
    response.headers["Cache-Control"] = "no-store"
    return response


def signer(settings: Settings) -> StateSigner:
    return StateSigner(state_key(settings))


def _state_refused(home: str) -> web.Response:
    return error_page(
        400,
        "登录校验失败",
        "登录请求已过期，或不是从这个窗口发起的。请关闭后重新打开侧边栏。",
        home,
    )


COOKIE_LOOP_SECONDS = 60


def _just_signed_in(value: str) -> bool:
    return value.isdigit() and 0 <= time.time() - int(value) < COOKIE_LOOP_SECONDS


async def page_session(request: web.Request, back: str = "") -> Session | web.StreamResponse:
    """The signed-in member of a page (index, SOP task, admin), or the answer that signs them
    in first (OAuth, coming back to `back`) — or explains why the cookie didn't stick."""
    session = await sessions(request).load(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        return session
    if _just_signed_in(request.query.get("signed_in", "")):
        # we set the cookie a moment ago and it did not come back: another round would loop
        return error_page(
            400,
            "无法保持登录",
            "浏览器没有保存登录状态。请确认允许 Cookie，并通过 HTTPS 地址打开侧边栏后重试。",
            sidebar_path(request.config_dict[SETTINGS].public_url),
        )
    return await start(request, back=back)
