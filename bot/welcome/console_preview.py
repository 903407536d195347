"""The console's live preview of a welcome text (`console_web.preview` with the welcome's
variables and WeCom's 4,000-byte limit)."""

from __future__ import annotations

from aiohttp import web

from bot.wecom.limits import WELCOME_TEXT_BYTES
from bot.welcome.templates import VARIABLES
from console_web.preview import preview as preview_text


async def preview(request: web.Request) -> web.Response:
    return await preview_text(request, "欢迎语", VARIABLES, WELCOME_TEXT_BYTES)


def setup(app: web.Application) -> None:
    app.router.add_post("/api/welcome/preview", preview)
