"""The console's store-code page (门店活码): each campaign with its landing page link and QR of
that link for the poster, its stores by city with what each brought, and the CSV import."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT, SETTINGS
from bot.clock import corp_now
from bot.store_codes.admin import import_change
from bot.store_codes.csv_import import MAX_BYTES, StoreListError, parse_stores
from bot.store_codes.model import StoreCodeError
from bot.store_codes.report import store_numbers
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

DAYS = 7
_ID = re.compile(r"[0-9a-f]{6}")
page = pages_in(Path(__file__).with_name("templates"))
IMPORT = "/api/stores/import"
IMPORT_BODY = 3 * MAX_BYTES  # a 2 MB file's text, as JSON (CJK escapes)


async def campaigns_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    base = request.config_dict[SETTINGS].public_url.rstrip("/")
    today = corp_now().date()
    shown = []
    for campaign in await ctx.services.store_codes.campaigns():
        loads, rows = await store_numbers(ctx.redis, ctx.keys, campaign, DAYS, today)
        shown.append((campaign, f"{base}/s/{campaign.id}", loads, rows))
    return page("stores.html", **base_context(request, "stores"), campaigns=shown, days=DAYS)


async def import_stores(request: web.Request) -> web.Response:
    """A campaign's store list from an uploaded CSV (its text): all stores or none."""
    data = request[BODY_OF]
    campaign_id, text = data.get("id", ""), data.get("text", "")
    if not isinstance(campaign_id, str) or not _ID.fullmatch(campaign_id):
        raise ConsoleError(400, "没有这个门店活码活动")
    if not isinstance(text, str) or len(text.encode()) > MAX_BYTES:
        raise ConsoleError(400, f"请上传 {MAX_BYTES // 1024 // 1024} MB 以内的 CSV 文件")
    store = request.config_dict[HANDLER_CONTEXT].services.store_codes
    campaign = await store.campaign(campaign_id)
    if campaign is None:
        raise ConsoleError(404, "没有这个门店活码活动（可能已被删除）")
    try:
        stores, lines = parse_stores(text.encode())
        await store.replace_stores(campaign_id, stores, lines)
    except StoreListError as exc:
        return said(str(exc), refused=True)
    except StoreCodeError as exc:
        return said(f"没有导入：{exc}", refused=True)
    change = import_change(campaign_id, campaign.name, len(stores))
    await admin_session(request).changed("stores.import", change)
    return said(
        f"已导入「{campaign.name}」的门店 {len(stores)} 家（原有门店表已替换，可在审计日志页撤销）"
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/stores", campaigns_page)
    app.router.add_post(IMPORT, import_stores)


PART = ConsolePart((("stores", "门店活码"),), setup, body_limits={"/console" + IMPORT: IMPORT_BODY})
