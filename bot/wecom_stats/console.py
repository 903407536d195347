"""The console's 企业微信统计 page: WeCom's own figures of the last 30 days beside ours, the days
where WeCom's new customers and ours disagree by more than the threshold flagged (a missed
callback shows there), with the members where they differ, by name."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.clock import CORP_TIME
from bot.context import HandlerContext
from bot.wecom_stats.reconcile import reconcile
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.views import base_context

DAYS = 30
page = pages_in(Path(__file__).with_name("templates"))


async def stats_page(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    yesterday = datetime.now(CORP_TIME).date() - timedelta(days=1)
    checks = await reconcile(ctx, yesterday, DAYS)
    names = ctx.services.names
    rows = [
        (c, [(await names.staff_for_admins(m), o, w) for m, (o, w) in sorted(c.members.items())])
        for c in checks
    ]
    return page("wecom_stats.html", **base_context(request, "wecom-stats"), rows=rows)


def setup(app: web.Application) -> None:
    app.router.add_get("/wecom-stats", stats_page)


PART = ConsolePart((("wecom-stats", "企业微信统计"),), setup)
