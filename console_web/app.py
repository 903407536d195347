"""The operators' console: an aiohttp sub-app mounted at `/console/` by `bot.app.create_app`.

Routes (relative to `/console/`):
  ``             the dashboard (admins and viewers)
  f/<noun>       a page of one admin noun's commands (话术, 敏感词, 欢迎语…; admins)
  audit          the audit log with filters, and 撤销 (admins)
  system         settings (read-only), doctor's checks, dead letters and replay (admins)
  auth/callback  where WeCom's OAuth2 and web login send the browser back
  api/...        JSON for the pages' forms (admins; every POST carries the CSRF header)
  static/...     the console's CSS and JS

It holds no state of its own: services come from the bot's app through `request.config_dict`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import SETTINGS
from bot.features import console_parts
from console_web import api, media, signin, system, views
from console_web.pages import STATIC, error_page, security_headers
from console_web.session_keys import BODY_OF, ROLE_OF, SESSION_OF, ConsoleError, ok
from sidebar_web.bodies import read_json
from sidebar_web.common import SidebarError
from sidebar_web.pages import origin

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY = 96 * 1024  # a whole admin command (20,000 characters) in UTF-8, and room
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_ROUTES = frozenset({"console-auth", "console-static"})  # answered without a session
VIEWER_PAGES = frozenset({"/console/", "/console/api/signout", "/console/api/me"})

log = logging.getLogger(__name__)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sign-in, role, Origin and CSRF before any handler; errors in Chinese; the security
    headers on every answer."""
    api_call = request.path.startswith("/console/api/")
    try:
        # by the route the request matched, not its path: no spelling of a path reaches a
        # signed-in route without the checks
        if request.match_info.route.name not in PUBLIC_ROUTES:
            denied = await _authorise(request, api_call)
            if denied is not None:
                security_headers(denied)
                return denied
        response = await handler(request)
    except ConsoleError as exc:
        response = exc.response()
    except SidebarError as exc:  # the shared body reader's refusals
        response = ConsoleError(exc.status, exc.message).response()
    except web.HTTPException as exc:
        if not api_call or exc.status < 400:
            raise
        message = "没有这个接口" if exc.status == 404 else "请求方式不对"
        response = ConsoleError(exc.status, message).response()
    except (RedisError, OSError) as exc:
        log.warning("console %s failed: %s", request.path, exc)
        if not api_call:
            response = error_page(503, "暂时不可用", "服务暂时不可用，请稍后重试。", request.path)
        else:
            response = ConsoleError(503, "服务暂时不可用，请稍后重试").response()
    security_headers(response)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _authorise(request: web.Request, api_call: bool) -> web.StreamResponse | None:
    """None when the request may go on; else the answer (sign in first, or refused)."""
    settings = request.config_dict[SETTINGS]
    home = signin.console_path(settings.public_url)
    session = await signin.signed_in(request)
    if session is None:
        if api_call:
            raise ConsoleError(401, "登录已过期，请刷新页面重新登录")
        if signin.just_signed_in(request):  # the cookie we just set did not come back
            return error_page(
                400,
                "无法保持登录",
                "浏览器没有保存登录状态。请允许 Cookie 并通过 HTTPS 地址打开。",
                home,
            )
        back = request.path.removeprefix("/console/")
        return await signin.start(request, back)
    role = await signin.role_of(request, session.userid)
    if role is None or (role != signin.ADMIN and request.path not in VIEWER_PAGES):
        if api_call:
            raise ConsoleError(403, "只有管理员可以修改设置")
        return error_page(403, "无权使用", signin.NOT_ALLOWED, home, action="返回概览")
    if request.method not in SAFE_METHODS:
        sent_from = request.headers.get("Origin")
        if sent_from is not None and sent_from != origin(settings.public_url):
            raise ConsoleError(403, "请求来源不正确，已拒绝")
        if not session.csrf_ok(request.headers.get(CSRF_HEADER)):
            raise ConsoleError(403, "请求校验失败，请刷新页面后重试")
        limit = body_limits().get(request.path, MAX_BODY)
        request[BODY_OF] = await read_json(request, limit)
    request[SESSION_OF] = session
    request[ROLE_OF] = role
    return None


@functools.cache
def body_limits() -> dict[str, int]:
    """The features' larger body limits by path (their console parts')."""
    limits = {media.PATH: media.UPLOAD_BODY}
    return limits | {
        path: size for part in console_parts() for path, size in part.body_limits.items()
    }


async def me(request: web.Request) -> web.Response:
    session = request[SESSION_OF]
    return ok({"userid": session.userid, "name": session.name, "role": request[ROLE_OF]})


def create_console_app() -> web.Application:
    """The console sub-app (see the module docstring)."""
    app = web.Application(middlewares=[guard])
    app.router.add_get(f"/{signin.CALLBACK}", signin.callback, name="console-auth")
    app.router.add_get("/api/me", me)
    app.router.add_post("/api/signout", signin.sign_out)
    views.setup_routes(app)
    api.setup_routes(app)
    for part in console_parts():  # each feature's own pages (its record's `console`)
        part.setup(app)
    system.setup_routes(app)
    media.setup_routes(app)
    app.router.add_static("/static/", STATIC, name="console-static")
    return app
