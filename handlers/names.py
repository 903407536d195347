"""Keep the cached display names true: a renamed or dismissed customer group is read again."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import ExternalChatDismiss, ExternalChatUpdate
from bot.routing import Router

router = Router(name="handlers.names")  # pinned: handler names are stored as done-marks


def renamed(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail == "change_name"


@router.on(ExternalChatUpdate, renamed)
async def forget_renamed_group(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    await ctx.services.group_names.forget(event.chat_id)


@router.on(ExternalChatDismiss)
async def forget_dismissed_group(event: ExternalChatDismiss, ctx: HandlerContext) -> None:
    await ctx.services.group_names.forget(event.chat_id)
