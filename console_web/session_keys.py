"""What the console's handlers share: the signed-in session and role, the request's JSON body,
and errors as Chinese JSON."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.admin.session import AdminSession
from bot.appkeys import HANDLER_CONTEXT
from bot.errors import UserError
from sidebar_web.session import Session

SESSION_OF = web.RequestKey("console_session", Session)
ROLE_OF = web.RequestKey("console_role", str)
BODY_OF = web.RequestKey("console_body", dict)


class ConsoleError(UserError):
    """A request that can't be met: the HTTP status and a message in Chinese."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> web.Response:
        return web.json_response(
            {"error": self.message},
            status=self.status,
            dumps=lambda data: json.dumps(data, ensure_ascii=False),
        )


def ok(data: dict[str, Any]) -> web.Response:
    return web.json_response(data, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def said(reply: str, *, refused: bool = False, code: str = "", **extra: Any) -> web.Response:
    """A form's answer as the pages show it: the reply; `refused` when nothing changed; `code`
    when a destructive command waits for it (as 确认 <码> in chat); `extra` fields beside."""
    return ok({"reply": reply, "refused": refused, "code": code, **extra})


def admin_session(request: web.Request) -> AdminSession:
    """The signed-in admin's session: what they change is audited as made in the console and
    taken back by their 撤销."""
    ctx = request.config_dict[HANDLER_CONTEXT]
    return AdminSession(ctx.redis, ctx.keys, request[SESSION_OF].userid, "console")
