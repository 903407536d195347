"""The chat-toolbar sidebar: an aiohttp sub-app mounted at `/sidebar/` by `bot.app.create_app`.

Routes (relative to `/sidebar/`):
  ``            the page (signs in through OAuth2 first when there is no session)
  auth/callback OAuth2 redirect target
  api/...       JSON, for the signed-in member only; every POST carries the CSRF header
  static/...    the page's CSS and JS, and the vendored `@wecom/jssdk`
  media/<ref>   cover images of mini-program cards
  admin/stats   the operating statistics as SVG charts, for admins (sidebar_web/admin.py)
  sop/<task>    the page an SOP reminder card links to: the same page, showing that task

The sub-app reads the bot's services (Redis, WeCom client, settings, the filter, the script
index) from `request.config_dict`, so it holds no state of its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import SETTINGS
from sidebar_web import admin, api_context, api_library, api_sop, oauth
from sidebar_web.bodies import read_json
from sidebar_web.common import SESSION, SidebarError, error_response, sessions
from sidebar_web.pages import STATIC, origin, page, security_headers
from sidebar_web.session import SESSION_COOKIE

SDK_FILE = "vendor/wecom-jssdk-2.4.4.js"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WW_STUB = web.AppKey("sidebar_ww_stub", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger(__name__)


def asset_version() -> str:
    """A hash of the page's own files, so a deploy is never served stale JS from a cache."""
    digest = hashlib.sha256()
    for name in ("sidebar.js", "sop.js", "sidebar.css"):
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:10]


VERSION = asset_version()


async def index(request: web.Request) -> web.StreamResponse:
    """The sidebar page for the signed-in member; otherwise off to sign in. At `sop/<task>`
    (opened from a reminder card, outside any chat) the page shows that task instead."""
    settings = request.config_dict[SETTINGS]
    task = request.match_info.get("task_id", "")
    root = "../" if task else ""  # relative links keep working behind a path prefix
    session = await oauth.page_session(request, back=f"sop/{task}" if task else "")
    if isinstance(session, web.StreamResponse):
        return session
    boot = {
        "corpId": settings.corp_id,
        "agentId": settings.agent_id,
        "userid": session.userid,
        "name": session.name,
        "sdk": f"{root}static/{SDK_FILE}",
        "root": root,
        "task": task,
    }
    stub = request.config_dict[WW_STUB]
    return page("index.html", session=session, boot=boot, stub_url=stub, version=VERSION, root=root)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions and CSRF for the API, JSON errors, and the security headers on every answer."""
    api = request.path.startswith("/sidebar/api/")
    try:
        if api:
            await _authorise(request)
            if request.method not in SAFE_METHODS:
                await read_json(request)  # every body checked once, whether a handler reads it
        response = await handler(request)
    except SidebarError as exc:
        response = exc.response()
    except web.HTTPException as exc:
        if not api or exc.status < 400:
            raise
        message = "没有这个接口" if exc.status == 404 else "请求方式不对"
        response = error_response(exc.status, message)
    except (RedisError, OSError) as exc:
        if not api:
            raise
        log.warning("sidebar %s failed: %s", request.path, exc)
        response = error_response(503, "服务暂时不可用，请稍后重试")
    stub = request.config_dict[WW_STUB]
    security_headers(response, origin(stub) if stub else None)
    return response


async def _authorise(request: web.Request) -> None:
    session = await sessions(request).load(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SidebarError(401, "登录已过期，请重新打开侧边栏", login=True)
    if request.method not in SAFE_METHODS:
        expected = origin(request.config_dict[SETTINGS].public_url)
        sent_from = request.headers.get("Origin")
        if sent_from is not None and sent_from != expected:
            raise SidebarError(403, "请求来源不正确，已拒绝")
        if not session.csrf_ok(request.headers.get(CSRF_HEADER)):
            raise SidebarError(403, "请求校验失败，请刷新页面后重试")
    request[SESSION] = session


def create_sidebar_app(*, ww_stub_url: str = "") -> web.Application:
    """The sidebar sub-app. `ww_stub_url` (the demo's simulated chat window only) is a script
    that defines a stub `ww` before the page's own; its origin may then frame the page."""
    app = web.Application(middlewares=[guard])
    app[WW_STUB] = ww_stub_url
    app.router.add_get("/", index)
    app.router.add_get(f"/{oauth.CALLBACK}", oauth.callback)
    app.router.add_get(f"/sop/{{task_id:{api_sop.TASK_ID}}}", index)
    api_context.setup_routes(app)
    api_library.setup_routes(app)
    api_sop.setup_routes(app)
    admin.setup_routes(app)  # admin/stats: the statistics page, for admins only
    app.router.add_static("/static/", STATIC)
    return app
