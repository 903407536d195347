"""The console's acquisition-link page (获客链接): the corp's quota left, each link with the URL to
hand out (our State on it) and its adds of the last 7 days; links are made and deleted with
`scrm-bot links`."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.wecom import WeComError
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.views import base_context

DAYS = 7
page = pages_in(Path(__file__).with_name("templates"))


async def links_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.acquisition_links
    today = corp_now().date()
    rows = []
    for link in await store.links():
        adds = await store.adds(link.id, DAYS, today)
        rows.append((link, sum(count for _, count in adds)))
    try:
        quota = await ctx.wecom.acquisition.quota()
        quota_error = ""
    except WeComError as exc:
        quota, quota_error = {}, f"未开通或应用无权调用（错误码 {exc.errcode}）"
    return page(
        "links.html",
        **base_context(request, "links"),
        rows=rows,
        days=DAYS,
        quota=quota,
        quota_error=quota_error,
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/links", links_page)


PART = ConsolePart((("links", "获客链接"),), setup)
