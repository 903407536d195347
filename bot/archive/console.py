"""The console's 会话存档 page, for admins only (the console admits no one else to it; members
never see archived chats): recent conversations by name, one conversation's messages with the
sensitive words in them marked, and a bounded search of archived text."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.archive.store import ArchiveStore
from bot.clock import corp_clock
from bot.context import HandlerContext
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.views import base_context

_CONVERSATION = re.compile(r"(room:[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_@.-]{1,64}\|[A-Za-z0-9_-]{1,64})")
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
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/archive", archive_page)


PART = ConsolePart((("archive", "会话存档"),), setup)
