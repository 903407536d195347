"""`msgaudit_notify`: WeCom says the chat archive has new messages; pull them now (the minute's
round would anyway). Archived text is kept per conversation for admins to read."""

from __future__ import annotations

from bot.archive.runtime import configured, pull_once
from bot.archive.store import ArchiveStore
from bot.context import HandlerContext
from bot.events import ChatText, MsgAuditNotify
from bot.routing import Router

router = Router(name="handlers.archive")  # pinned: handler names are stored as done-marks


def archive_configured(event: MsgAuditNotify, ctx: HandlerContext) -> bool:
    return configured(ctx)


@router.on(MsgAuditNotify, archive_configured)
async def pull_archive(event: MsgAuditNotify, ctx: HandlerContext) -> None:
    await pull_once(ctx)


def archived(event: ChatText, ctx: HandlerContext) -> bool:
    return event.source == "archive"


@router.on(ChatText, archived)
async def keep_archived_text(event: ChatText, ctx: HandlerContext) -> None:
    await ArchiveStore(ctx.redis, ctx.keys).keep(event)
