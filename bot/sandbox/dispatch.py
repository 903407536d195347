"""One aiohttp handler for every `/cgi-bin/...` path: faults, tokens, permissions, recording.

Each route module owns an `EndpointTable` of endpoint functions `(ctx) -> dict`; an endpoint raises
`ApiError` for an errcode answer and returns the extra fields of a success answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.faults import normalise_path
from bot.sandbox.limits import ERRMSG, ApiError, JsonDict, errmsg
from bot.sandbox.recorder import Call, redact
from bot.sandbox.tokens import APP, ARCHIVE, CONTACT, Token

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox
    from bot.sandbox.state import SandboxState

NO_TOKEN = "none"  # gettoken itself
ANY_TOKEN = "any"  # either secret's token
APP_TOKEN = "app"  # the self-built app's token only
CONTACT_TOKEN = "contact"  # 客户联系 secret, or the app when it may call contact APIs
ARCHIVE_TOKEN = "archive"  # the chat archive app's secret only


@dataclass
class Ctx:
    """What an endpoint sees of one call."""

    sandbox: Sandbox
    request: web.Request
    query: dict[str, str]
    body: JsonDict
    now: float
    token: Token | None = None
    upload: dict[str, Any] | None = field(default=None)

    @property
    def state(self) -> SandboxState:
        return self.sandbox.state


Handler = Callable[[Ctx], Awaitable[JsonDict]]


@dataclass(frozen=True)
class Endpoint:
    """One API path, the token it needs and its handler."""

    path: str
    auth: str
    handler: Handler


class EndpointTable:
    """The endpoints of one API domain."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}

    def route(self, path: str, auth: str = CONTACT_TOKEN) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if path in self.endpoints:
                raise ValueError(f"{path} registered twice")
            self.endpoints[path] = Endpoint(path, auth, handler)
            return handler

        return register


def _check_permission(sandbox: Sandbox, auth: str, token: Token) -> None:
    if auth == APP_TOKEN and token.kind != APP:
        raise ApiError(48002)
    if auth == ARCHIVE_TOKEN and token.kind != ARCHIVE:
        raise ApiError(48002)
    if auth == CONTACT_TOKEN and not (
        token.kind == CONTACT or (token.kind == APP and sandbox.app_has_contact_permission)
    ):
        raise ApiError(48002)


def _json_response(payload: JsonDict, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
    )


async def _read_body(request: web.Request) -> tuple[Any, bool]:
    """(parsed JSON body or None, whether the body was malformed)."""
    if request.content_type.startswith("multipart/") or not request.can_read_body:
        return None, False
    raw = await request.read()
    if not raw.strip():
        return None, False
    try:
        return json.loads(raw), False
    except (ValueError, UnicodeDecodeError):
        return None, True


async def handle_api(request: web.Request) -> web.StreamResponse:
    """Answer one `/cgi-bin/{path}` request as WeCom would."""
    sandbox: Sandbox = request.app[SANDBOX_KEY]
    now = sandbox.now()
    path = normalise_path(request.match_info["path"])
    query = dict(request.query)
    body, malformed = await _read_body(request)
    call = Call(request.method, path, redact(query), body, now)
    sandbox.recorder.add(call)

    fault = sandbox.faults.take(path)
    if fault is not None:
        call.fault = fault.id
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status is not None and fault.status != 200:
            call.status = fault.status
            return web.Response(status=fault.status, text=f"sandbox fault {fault.id}")
        if fault.errcode is not None:
            detail = fault.errmsg or ERRMSG.get(fault.errcode, "injected fault")
            return _answer(call, fault.errcode, detail, {})

    endpoint = sandbox.endpoints.get(path)
    if endpoint is None:
        call.status = 404
        return web.Response(status=404, text="404 Not Found")

    ctx = Ctx(sandbox, request, query, body if isinstance(body, dict) else {}, now)
    try:
        if not sandbox.rate_limiter.allow(path, now):
            raise ApiError(45009)
        if endpoint.auth != NO_TOKEN:
            ctx.token = sandbox.tokens.check(query.get("access_token"))
            call.secret_kind = ctx.token.kind
            _check_permission(sandbox, endpoint.auth, ctx.token)
        if malformed or (body is not None and not isinstance(body, dict)):
            raise ApiError(47001, "data format error, Warning: wrong json format.")
        extra = await endpoint.handler(ctx)
    except ApiError as exc:
        call.upload = ctx.upload
        return _answer(call, exc.errcode, exc.detail, {})
    except Exception:
        call.status = 500  # a sandbox bug: let it surface as a 500 rather than an answer
        raise
    call.upload = ctx.upload
    return _answer(call, 0, "ok", extra)


def _answer(call: Call, errcode: int, detail: str, extra: JsonDict) -> web.Response:
    hint = f"{int(call.time)}_sandbox_{id(call) % 100000:05d}"
    payload: JsonDict = {"errcode": errcode, "errmsg": errmsg(errcode, detail, hint), **extra}
    call.errcode = errcode
    call.response = payload
    return _json_response(payload)


SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("sandbox")
