"""The admins' statistics page, `/sidebar/admin/stats`: charts drawn on the server as SVG.

It rides on the sidebar's sign-in (the same session cookie), so an admin opens it in the WeCom
client or any browser signed in through OAuth2. Only admins may see it (the one admin policy:
SCRM_ADMINS ids, SCRM_ADMIN_DEPARTMENTS and SCRM_ADMIN_TAGS members, as for admin chat);
there is no script on the page and no file from elsewhere.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bot.appkeys import KEYS, REDIS, SETTINGS
from bot.clock import corp_now
from bot.keys import RedisKeys
from bot.stats.report import RETENTION_DAYS, StatsRow, day_range, read_stats, summarize
from sidebar_web import oauth
from sidebar_web.charts import Chart, Series, bar_chart, hbar_chart, line_chart
from sidebar_web.common import is_admin
from sidebar_web.pages import STATIC, error_page, page
from sidebar_web.session import sidebar_path

PATH = "admin/stats"
DEFAULT_DAYS, MIN_DAYS, MAX_DAYS = 30, 7, 90
RANGES = (7, 30, 90)
TOP_ROWS = 20  # staff members and channels listed, most new customers first
CSS_VERSION = hashlib.sha256((STATIC / "stats.css").read_bytes()).hexdigest()[:10]


def requested_days(value: str) -> int:
    """`?days=` within 7–90; anything else means the default month."""
    if not value.isdigit():
        return DEFAULT_DAYS
    return min(MAX_DAYS, max(MIN_DAYS, int(value)))


async def stats_page(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[SETTINGS]
    home = sidebar_path(settings.public_url)
    session = await oauth.page_session(request, PATH)
    if isinstance(session, web.StreamResponse):
        return session
    if not await is_admin(request, session.userid):  # admin chat's policy: ids, depts, tags
        return error_page(
            403,
            "无权查看",
            "运营统计只对管理员开放。如需查看，请联系管理员把您加入管理员名单。",
            home,
            action="返回侧边栏",
        )
    days = requested_days(request.query.get("days", ""))
    redis, keys = request.config_dict[REDIS], request.config_dict[KEYS]
    shown = await stats_context(redis, keys, days)
    return page("stats.html", base=home, css_version=CSS_VERSION, session=session, **shown)


async def stats_context(redis: Redis, keys: RedisKeys, days: int) -> dict[str, Any]:
    """What a statistics page shows for the last `days` days: the totals, the charts and the
    tables by staff and by channel (this page's, and the console's dashboard)."""
    today = corp_now().date()
    corp = await read_stats(redis, keys, days, None, today)
    channels = _per(await read_stats(redis, keys, days, "channel", today))
    return {
        "days": days,
        "ranges": RANGES,
        "first": day_range(days, today)[0],
        "today": today,
        "total": summarize(corp),
        "retention_days": RETENTION_DAYS,
        "charts": charts(corp, channels),
        "staff": _per(await read_stats(redis, keys, days, "staff", today)),
        "channels": channels,
    }


def _per(rows: list[StatsRow]) -> list[StatsRow]:
    """Each staff member's or channel's days added up, most new customers first."""
    grouped: dict[str, list[StatsRow]] = defaultdict(list)
    for row in rows:
        grouped[row.who].append(row)
    totals = [summarize(days, who, days[0].name) for who, days in grouped.items()]
    return sorted(totals, key=lambda row: (-row.new, row.who))[:TOP_ROWS]


def charts(corp: list[StatsRow], channels: list[StatsRow]) -> list[Chart]:
    days: list[date] = [row.day for row in corp]
    return [
        bar_chart(
            "每日新增与流失客户",
            days,
            [
                Series("new", "新增客户", [row.new for row in corp]),
                Series("lost", "流失客户", [row.lost for row in corp]),
            ],
            Series("net", "净增", [row.net for row in corp]),
        ),
        line_chart(
            "留存率（按添加日期）",
            days,
            [
                Series(f"r{k}", f"{k}日留存", [row.retention(k) for row in corp])
                for k in RETENTION_DAYS
            ],
        ),
        bar_chart(
            "客户群：入群与退群",
            days,
            [
                Series("join", "入群", [row.group_joins for row in corp]),
                Series("leave", "退群", [row.group_leaves for row in corp]),
            ],
            Series("net", "群净增", [row.group_net for row in corp]),
        ),
        bar_chart(
            "SOP 提醒：已发与已完成",
            days,
            [
                Series("sent", "SOP已发", [row.sop_sent for row in corp]),
                Series("done", "SOP已完成", [row.sop_completed for row in corp]),
            ],
        ),
        hbar_chart(
            "各渠道新增客户",
            [(row.name or row.who, row.new) for row in channels],
            "new",
        ),
    ]


def setup_routes(app: web.Application) -> None:
    app.router.add_get(f"/{PATH}", stats_page)
