"""The console's group live code page (群活码): each code with its QR code (shown, and as PNG
for print), its groups' fill and the groups WeCom created for it, joins, leaves, net and
retention; create, edit and delete.

Saves go through `GroupCodeStore` (WeCom's join way first, then Redis), are audited as made in
the console and can be taken back with 撤销 (the `group-code` change kind, `undo_group_code`).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.group_codes.codes import MAX_GROUPS, QR_GROUP_LIMIT, GroupCode, GroupCodeError
from bot.group_codes.funnel import funnel
from bot.group_codes.report import CodeReport, percent, report
from bot.wecom import WeComError
from console_web.fields import CHAT_ID, id_list, text_field
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.qr import qr_image
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

SHOWN = 50  # codes on the page: each reads its groups from WeCom
READS_AT_ONCE = 4
FUNNEL_DAYS = 7
_ID = re.compile(r"[0-9a-f]{6}")
page = pages_in(Path(__file__).with_name("templates"))


def _form(data: dict[str, Any], stored: GroupCode | None) -> GroupCode:
    """The code the form describes (checked again, with WeCom's rules, by the store)."""
    chat_ids = id_list(
        data.get("chats", ""), "客户群", CHAT_ID, most=1000, what="客户群 ID（如 wrxxxx）"
    )
    base_id = text_field(data, "room_base_id", "新群起始编号", 6) or "1"
    if not (base_id.isascii() and base_id.isdigit()):
        raise ConsoleError(400, "新群的起始编号应是正整数")
    return replace(
        stored or GroupCode("", "", []),
        name=text_field(data, "name", "名称", 100),
        chat_ids=chat_ids,
        auto_create=data.get("auto_create", True) is not False,
        room_base_name=text_field(data, "room_base_name", "新群名称前缀", 100),
        room_base_id=int(base_id),
    )


async def _audited(request: web.Request, before: GroupCode | None, after: GroupCode | None) -> None:
    """Audit the change as made in the console, and remember it for 撤销."""
    shown = after or before
    assert shown is not None  # a change has a before, an after or both
    verb, action = (
        ("新建", "create")
        if before is None
        else ("删除", "delete")
        if after is None
        else ("修改", "update")
    )
    change = Change(
        "group-code",
        shown.id,
        asdict(before) if before else None,
        asdict(after) if after else None,
        f"{verb}群活码「{shown.name}」",
    )
    await admin_session(request).changed(f"group-code.{action}", change)


async def codes_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    codes = await ctx.services.group_codes.list()
    today = corp_now().date()
    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def one(code: GroupCode) -> CodeReport:
        async with gate:
            return await report(
                code, ctx.services.group_code_stats, ctx.wecom.external_contact, today
            )

    reports = await asyncio.gather(*(one(code) for code in codes[:SHOWN]))
    steps = await funnel(
        ctx.redis, ctx.keys, ctx.services.group_code_stats, ctx.services.names, FUNNEL_DAYS, today
    )
    return page(
        "group_codes.html",
        **base_context(request, "group-codes"),
        reports=reports,
        funnel=steps,
        funnel_days=FUNNEL_DAYS,
        more=max(len(codes) - SHOWN, 0),
        limit=QR_GROUP_LIMIT,
        max_groups=MAX_GROUPS,
        percent=percent,
    )


async def _stored(request: web.Request, code_id: Any) -> GroupCode:
    if not isinstance(code_id, str) or not _ID.fullmatch(code_id):
        raise ConsoleError(400, "没有这个群活码")
    stored = await request.config_dict[HANDLER_CONTEXT].services.group_codes.get(code_id)
    if stored is None:
        raise ConsoleError(404, "没有这个群活码（可能已被删除）")
    return stored


async def save(request: web.Request) -> web.Response:
    data = request[BODY_OF]
    store = request.config_dict[HANDLER_CONTEXT].services.group_codes
    stored = await _stored(request, data["id"]) if data.get("id") else None
    code = _form(data, stored)
    try:
        saved = await (store.update(code) if stored else store.create(code))
    except GroupCodeError as exc:
        return said(f"没有保存：{exc}", refused=True)
    except WeComError as exc:
        return said(f"没有保存：企业微信返回错误码 {exc.errcode}：{exc.explanation}", refused=True)
    await _audited(request, stored, saved)
    return said(f"已保存群活码「{saved.name}」（编号 {saved.id}）")


async def delete(request: web.Request) -> web.Response:
    stored = await _stored(request, request[BODY_OF].get("id", ""))
    try:
        await request.config_dict[HANDLER_CONTEXT].services.group_codes.delete(stored.id)
    except WeComError as exc:
        return said(f"没有删除：企业微信返回错误码 {exc.errcode}：{exc.explanation}", refused=True)
    await _audited(request, stored, None)
    return said(
        f"已删除群活码「{stored.name}」；印出去的二维码已失效。"
        "可在审计日志页「撤销」恢复（会生成新码）。"
    )


async def qr_png(request: web.Request) -> web.StreamResponse:
    """The code's QR image, for the page and as a download for print."""
    ctx = request.config_dict[HANDLER_CONTEXT]
    code = await ctx.services.group_codes.get(request.match_info["id"])
    if code is None:
        raise web.HTTPNotFound()
    return await qr_image(request, code.qr_code, f"group-code-{code.id}.png")


def setup(app: web.Application) -> None:
    app.router.add_get("/group-codes", codes_page)
    app.router.add_get(r"/group-codes/{id:[0-9a-f]{6}}/qr.png", qr_png)
    app.router.add_post("/api/group-codes/save", save)
    app.router.add_post("/api/group-codes/delete", delete)


PART = ConsolePart((("group-codes", "群活码"),), setup)
