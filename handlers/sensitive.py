"""Sensitive words in text staff send to the app: logged, and admins alerted once an hour."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import TextMessage
from bot.routing import Router

router = Router(name="handlers.sensitive")  # pinned: handler names are stored as done-marks


@router.on(TextMessage)
async def inspect_app_text(event: TextMessage, ctx: HandlerContext) -> None:
    async def who() -> str:
        return await ctx.services.names.staff_for_admins(event.user_id)

    await ctx.text.inspect_incoming(event.content, "app", event.user_id, who)
