"""The sandbox's own HTTP control API under `/sandbox/`, for a bot under test in another
process: faults, recorded calls, clock, seeding, the bot connection and scenarios.

Answers are JSON; a bad request answers HTTP 400 `{"error": ...}`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.dispatch import SANDBOX_KEY

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

JsonHandler = Callable[["Sandbox", dict[str, Any], web.Request], Awaitable[Any]]

SCENARIOS = (
    "customer_adds_staff",
    "customer_deletes_staff",
    "staff_deletes_customer",
    "group_created",
    "customer_joins_group",
    "customer_leaves_group",
    "kf_message",
    "staff_sends_text",
)


def _json(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                parsed = await request.json()
            except ValueError:
                return web.json_response({"error": "body is not JSON"}, status=400)
            if not isinstance(parsed, dict):
                return web.json_response({"error": "body is not a JSON object"}, status=400)
            body = parsed
        try:
            result = await handler(request.app[SANDBOX_KEY], body, request)
        except (ValueError, TypeError, KeyError, RuntimeError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        return web.Response(
            text=json.dumps(result, ensure_ascii=False, default=str),
            content_type="application/json",
        )

    return wrapped


async def get_calls(sandbox: Sandbox, _: dict[str, Any], request: web.Request) -> Any:
    path = request.query.get("path")
    calls = sandbox.calls_to(path) if path else sandbox.calls
    return {"calls": [call.to_json() for call in calls]}


async def clear_calls(sandbox: Sandbox, _: dict[str, Any], __: web.Request) -> Any:
    sandbox.recorder.clear()
    return {}


async def get_faults(sandbox: Sandbox, _: dict[str, Any], __: web.Request) -> Any:
    return {"faults": [fault.to_json() for fault in sandbox.faults.pending()]}


async def add_fault(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    fault = sandbox.faults.add(
        str(body["path"]),
        errcode=body.get("errcode"),
        errmsg=body.get("errmsg"),
        status=body.get("status"),
        delay=float(body.get("delay", 0.0)),
        times=int(body.get("times", 1)),
    )
    return fault.to_json()


async def clear_faults(sandbox: Sandbox, _: dict[str, Any], __: web.Request) -> Any:
    sandbox.faults.clear()
    return {}


async def reset(sandbox: Sandbox, _: dict[str, Any], __: web.Request) -> Any:
    sandbox.reset()
    return {}


async def clock(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    if "advance" in body:
        sandbox.advance(float(body["advance"]))
    return {"now": sandbox.now()}


async def add_staff(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    member = sandbox.add_staff(
        str(body["userid"]),
        str(body.get("name", "")),
        [int(d) for d in body.get("department", [1])],
        native_welcome=bool(body.get("native_welcome", False)),
    )
    return asdict(member)


async def revoke_tokens(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    return {"revoked": sandbox.tokens.revoke(body.get("kind"), body.get("token"))}


async def expire_tokens(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    return {"expired": sandbox.tokens.expire(body.get("kind"), body.get("token"))}


async def oauth_code(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    return {"code": sandbox.mint_oauth_code(str(body["userid"]))}


async def signed_in(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    userid = body.get("userid")
    sandbox.sign_in(None if userid is None else str(userid))
    return {"signed_in": sandbox.signed_in}


async def welcomes(sandbox: Sandbox, _: dict[str, Any], request: web.Request) -> Any:
    found = sandbox.welcomes(request.query.get("external_userid"))
    return {"welcomes": [asdict(w) for w in found]}


async def app_messages(sandbox: Sandbox, _: dict[str, Any], request: web.Request) -> Any:
    wanted = request.query.get("delivered", "true")
    delivered = None if wanted == "all" else wanted == "true"
    found = sandbox.app_messages(request.query.get("userid"), delivered)
    return {"app_messages": [asdict(m) for m in found]}


async def mass_tasks(sandbox: Sandbox, _: dict[str, Any], __: web.Request) -> Any:
    return {"mass_tasks": [asdict(t) for t in sandbox.mass_tasks]}


async def connect(sandbox: Sandbox, body: dict[str, Any], _: web.Request) -> Any:
    driver = sandbox.connect_bot(
        str(body["url"]),
        str(body["token"]),
        str(body["encoding_aes_key"]),
        timeout=float(body.get("timeout", 5.0)),
        max_retries=int(body.get("max_retries", 3)),
        retry_delay=float(body.get("retry_delay", 0.0)),
    )
    return {"url": driver.url}


async def verify_url(sandbox: Sandbox, _: dict[str, Any], __: web.Request) -> Any:
    return asdict(await sandbox.verify_bot_url())


async def scenario(sandbox: Sandbox, body: dict[str, Any], request: web.Request) -> Any:
    name = request.match_info["name"]
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; one of {', '.join(SCENARIOS)}")
    result = await getattr(sandbox, name)(**body)
    delivery = result.delivery
    return {
        "xml": result.xml,
        "welcome_code": result.welcome_code,
        "external_userid": result.external_userid,
        "chat_id": result.chat_id,
        "msg_id": result.msg_id,
        "kf_token": result.kf_token,
        "delivered": result.delivered,
        "statuses": delivery.statuses if delivery else [],
    }


def add_control_routes(app: web.Application) -> None:
    routes = [
        ("GET", "/sandbox/calls", get_calls),
        ("DELETE", "/sandbox/calls", clear_calls),
        ("GET", "/sandbox/faults", get_faults),
        ("POST", "/sandbox/faults", add_fault),
        ("DELETE", "/sandbox/faults", clear_faults),
        ("POST", "/sandbox/reset", reset),
        ("GET", "/sandbox/clock", clock),
        ("POST", "/sandbox/clock", clock),
        ("POST", "/sandbox/staff", add_staff),
        ("POST", "/sandbox/tokens/revoke", revoke_tokens),
        ("POST", "/sandbox/tokens/expire", expire_tokens),
        ("POST", "/sandbox/oauth_code", oauth_code),
        ("POST", "/sandbox/signed_in", signed_in),
        ("GET", "/sandbox/welcomes", welcomes),
        ("GET", "/sandbox/app_messages", app_messages),
        ("GET", "/sandbox/mass_tasks", mass_tasks),
        ("POST", "/sandbox/connect", connect),
        ("POST", "/sandbox/verify_url", verify_url),
        ("POST", "/sandbox/scenarios/{name}", scenario),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _json(handler))
