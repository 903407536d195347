"""The console's JSON API: run an admin command from a form, confirm a destructive one, undo.

Every route here is for admins only and every POST has passed the guard's session, Origin
and CSRF checks and the bounded JSON reader (`console_web.app.guard`). What a command does,
and how it is checked and audited, is admin chat's own code (`bot.admin.commands`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.admin.commands import AdminCommands, Outcome
from bot.admin.grammar import Parsed
from bot.admin.specs import grammar
from bot.appkeys import HANDLER_CONTEXT
from console_web.forms import FormError, parse
from console_web.session_keys import BODY_OF, SESSION_OF, ConsoleError, said

MAX_REPLY_CHARS = 50_000  # a reply listing thousands of items is cut, with a note
MAX_FIELD_CHARS = 20_000  # the chat grammar's own bound on a whole command


def _values(data: dict[str, Any]) -> dict[str, str]:
    values = data.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        raise ConsoleError(400, "表单内容应为文字")
    if sum(len(v) for v in values.values()) > MAX_FIELD_CHARS:
        raise ConsoleError(413, f"内容太长（合计超过 {MAX_FIELD_CHARS} 个字）")
    return values


def _answer(outcome: Outcome) -> web.Response:
    reply = outcome.reply
    if len(reply) > MAX_REPLY_CHARS:
        reply = reply[:MAX_REPLY_CHARS] + f"\n…（内容过长，只显示前 {MAX_REPLY_CHARS} 个字）"
    return said(reply, refused=outcome.refused, code=outcome.code)


async def _run(request: web.Request, parsed: Parsed) -> web.Response:
    commands = AdminCommands(request.config_dict[HANDLER_CONTEXT])
    return _answer(await commands.run(request[SESSION_OF].userid, parsed, "console"))


async def run(request: web.Request) -> web.Response:
    """`{"key": "script.add", "values": {...}}` → `{"reply", "refused", "code"}`; a code
    means the command is destructive and waits for `confirm` (as 确认 <码> in chat)."""
    data = request[BODY_OF]
    key = data.get("key")
    if not isinstance(key, str) or key.split(".", 1)[0] in {"confirm", "undo", "next"}:
        raise ConsoleError(400, "没有这个操作")
    try:
        parsed = parse(key, _values(data))
    except FormError as exc:
        return said(str(exc), refused=True)
    return await _run(request, parsed)


async def confirm(request: web.Request) -> web.Response:
    code = request[BODY_OF].get("code")
    if not isinstance(code, str) or not (code.isascii() and code.isdigit() and len(code) == 4):
        raise ConsoleError(400, "确认码应是 4 位数字")
    return await _run(request, Parsed(grammar().spec("confirm"), {"code": code}, f"确认 {code}"))


async def undo(request: web.Request) -> web.Response:
    return await _run(request, Parsed(grammar().spec("undo"), {}, "撤销"))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/run", run)
    app.router.add_post("/api/confirm", confirm)
    app.router.add_post("/api/undo", undo)
