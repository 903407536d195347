"""The console's pages: the dashboard (every role), a page per admin noun's commands and the
audit log (admins). Server-rendered; `static/console.js` only posts the forms and shows the
answers, so each page works at 1280 px and at WeCom mobile's 360 px alike."""

from __future__ import annotations

import re
import time
from typing import Any, TypeVar

from aiohttp import web

from bot.admin.audit import VIA_NAMES, AuditEntry
from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SETTINGS
from bot.clock import corp_clock
from bot.names import Names
from bot.rfm.runner import latest_summary
from bot.stats.report import day_range
from bot.text.categories import label
from bot.text.guard import hits_by_category
from bot.welcome.digest import outcomes
from console_web.forms import section, sections
from console_web.pages import page
from console_web.session_keys import ROLE_OF, SESSION_OF
from console_web.signin import ADMIN, console_path
from sidebar_web.admin import requested_days, stats_context
from sidebar_web.charts import hbar_chart

AUDIT_PAGE = 50
WELCOME_DAYS = 8  # how long the welcome's daily tallies are kept
T = TypeVar("T")
LIST_MOST = 50  # a feature page lists its newest records, so its cost doesn't grow with history


def feature_pages() -> list[tuple[str, str]]:
    """(path, menu title) of every feature's own console pages."""
    from bot.features import console_parts  # the records import the features' console pages

    return [entry for part in console_parts() for entry in part.pages]


def previews() -> dict[str, str]:
    """Command key → the API path previewing its text, from every feature's console part."""
    from bot.features import console_parts

    return {key: path for part in console_parts() for key, path in part.previews.items()}


_CURSOR = re.compile(r"\([0-9]{1,20}-[0-9]{1,20}")
_FILTER = re.compile(r"[A-Za-z0-9_.@-]{0,64}")


def newest(records: list[T]) -> tuple[list[T], int]:
    """The first `LIST_MOST` of records sorted newest first, and how many there are in all."""
    return records[:LIST_MOST], len(records)


def base_context(request: web.Request, current: str) -> dict[str, Any]:
    """What every page's frame shows: who is signed in, in which role, and the menu."""
    session = request[SESSION_OF]
    return {
        "home": console_path(request.config_dict[SETTINGS].public_url),
        "session": session,
        "admin": request[ROLE_OF] == ADMIN,
        "sections": sections(),
        "pages": feature_pages(),
        "current": current,
    }


async def dashboard(request: web.Request) -> web.Response:
    days = requested_days(request.query.get("days", ""))
    redis, keys = request.config_dict[REDIS], request.config_dict[KEYS]
    shown = await stats_context(redis, keys, days)
    services = request.config_dict[HANDLER_CONTEXT].services
    tally: dict[str, int] = {}
    for day in day_range(min(days, WELCOME_DAYS), shown["today"]):  # tallies last 8 days
        for field, count in (await services.welcomes.daily(day.isoformat())).items():
            tally[field] = tally.get(field, 0) + count
    welcome_rows, welcome_errors = outcomes(tally)
    hits, capped = await hits_by_category(redis, keys, time.time() - days * 86400)
    rfm = await latest_summary(redis, keys)
    segments = sorted((rfm or {}).get("segments", {}).items(), key=lambda item: -int(item[1]))
    return page(
        "dashboard.html",
        **base_context(request, "dashboard"),
        **shown,
        welcome_days=min(days, WELCOME_DAYS),
        welcome_rows=welcome_rows,
        welcome_errors=welcome_errors,
        hit_chart=hbar_chart(
            "敏感词命中（按分类，客户消息）",
            [(label(category), n) for category, n in sorted(hits.items(), key=lambda i: -i[1])],
            "lost",
        ),
        hits_capped=capped,
        rfm=rfm,
        rfm_at=corp_clock(float(rfm["at"])) if rfm and rfm.get("at") else "",
        rfm_chart=hbar_chart(
            "RFM 分层：各层客户数", [(str(n), int(c)) for n, c in segments], "new"
        ),
    )


async def commands_page(request: web.Request) -> web.Response:
    found = section(request.match_info["noun"])
    if found is None:
        raise web.HTTPNotFound()
    return page(
        "section.html", **base_context(request, found.slug), section=found, previews=previews()
    )


async def audit_page(request: web.Request) -> web.Response:
    query = request.query
    actor, via, action = (query.get(name, "") for name in ("actor", "via", "action"))
    if not all(_FILTER.fullmatch(v) for v in (actor, via, action)):
        actor = via = action = ""  # a hand-made URL: show everything rather than fail
    before = query.get("before", "")
    cursor = before if _CURSOR.fullmatch(before) else "+"
    audit = request.config_dict[HANDLER_CONTEXT].services.audit
    entries, more = await audit.page(
        AUDIT_PAGE, actor=actor, via=via, action=action, before_id=cursor
    )
    names = request.config_dict[HANDLER_CONTEXT].services.names
    rows = [(entry, await _actor_name(names, entry), corp_clock(entry.at)) for entry in entries]
    return page(
        "audit.html",
        **base_context(request, "audit"),
        rows=rows,
        more=more,
        filters={"actor": actor, "via": via, "action": action},
        vias=VIA_NAMES,
    )


async def _actor_name(names: Names, entry: AuditEntry) -> str:
    if entry.via in ("cli", "import", "upgrade"):  # an OS user or a file, not a member
        return entry.actor
    return await names.staff_for_admins(entry.actor)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
    app.router.add_get("/f/{noun:[a-z_]{1,32}}", commands_page)
    app.router.add_get("/audit", audit_page)
