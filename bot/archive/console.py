"""The console's 会话存档 page, for admins only (the console admits no one else to it; members
never see archived chats): recent conversations by name, one conversation's messages with the
sensitive words in them marked, a bounded search of archived text, and a message's file
(image, voice, video, file) fetched from WeCom when an admin opens it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.archive.media import MediaUnavailable, open_media
from bot.archive.runtime import configured, puller_for
from bot.archive.store import ArchiveStore
from bot.clock import corp_clock
from bot.context import HandlerContext
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.views import base_context

_CONVERSATION = re.compile(r"(room:[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_@.-]{1,64}\|[A-Za-z0-9_-]{1,64})")
_AT = re.compile(r"[0-9]{1,12}")
_MSGID = re.compile(r"[A-Za-z0-9_@.,~=-]{1,128}")
MAX_QUERY = 50
page = pages_in(Path(__file__).with_name("templates"))


async def _label(ctx: HandlerContext, conversation: str) -> str:
    names = ctx.services.names
    if conversation.startswith("room:"):
        return f"客户群 {await names.group_for_admins(conversation[5:])}"
    member, customer = conversation.split("|", 1)
    return f"{await names.staff_for_admins(member)} ↔ {await names.customer_for_admins(customer)}"


async def archive_page(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    store = ArchiveStore(ctx.redis, ctx.keys)
    guard = ctx.text
    conversation = request.query.get("conv", "")
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    messages, results, cut = [], [], False
    if conversation and _CONVERSATION.fullmatch(conversation):
        for m in await store.messages(conversation):
            hits = [h.word for h in guard.scan(m.text)]
            messages.append((m, corp_clock(m.at), hits))
    elif query:
        found, cut = await store.search(query)
        results = [(await _label(ctx, c), c, m, corp_clock(m.at)) for c, m in found]
    recent = [(c, await _label(ctx, c), corp_clock(at)) for c, at in await store.conversations()]
    return page(
        "archive.html",
        **base_context(request, "archive"),
        recent=recent,
        conversation=conversation if messages else "",
        title=await _label(ctx, conversation) if messages else "",
        messages=messages,
        query=query,
        results=results,
        cut=cut,
        retention=ctx.settings.archive_retention_days,
        media_max=ctx.settings.archive_media_max_mb,
    )


async def archive_media(request: web.Request) -> web.StreamResponse:
    """One message's file: `conv`, `at` (its send time) and `msgid` name the message."""
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    conversation, at, msgid = (request.query.get(k, "") for k in ("conv", "at", "msgid"))
    if not (
        _CONVERSATION.fullmatch(conversation) and _AT.fullmatch(at) and _MSGID.fullmatch(msgid)
    ):
        return _refuse(400, "链接不完整")
    found = await ArchiveStore(ctx.redis, ctx.keys).message(conversation, int(at), msgid)
    if found is None or found.media is None:
        return _refuse(404, "找不到这条消息的文件（可能已过保留期）")
    puller = puller_for(ctx) if configured(ctx) else None
    try:
        file = await open_media(ctx.settings, puller, found.media, found.at)
    except MediaUnavailable as exc:
        return _refuse(exc.status, exc.reason)
    disposition = "inline" if file.inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(file.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    return web.Response(body=file.content, content_type=file.content_type, headers=headers)


def _refuse(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason, content_type="text/plain", charset="utf-8")


def setup(app: web.Application) -> None:
    app.router.add_get("/archive", archive_page)
    app.router.add_get("/archive/media", archive_media)


PART = ConsolePart((("archive", "会话存档"),), setup)
