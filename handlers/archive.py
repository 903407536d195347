"""`msgaudit_notify`: WeCom says the chat archive has new messages; pull them now (the minute's
round would anyway)."""

from __future__ import annotations

from bot.archive.runtime import configured, pull_once
from bot.context import HandlerContext
from bot.events import MsgAuditNotify
from bot.routing import Router

router = Router(name="handlers.archive")  # pinned: handler names are stored as done-marks


def archive_configured(event: MsgAuditNotify, ctx: HandlerContext) -> bool:
    return configured(ctx)


@router.on(MsgAuditNotify, archive_configured)
async def pull_archive(event: MsgAuditNotify, ctx: HandlerContext) -> None:
    await pull_once(ctx)
