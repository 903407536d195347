"""The last router: logs event types nothing else knows, so they are seen, never fatal."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import UnknownEvent
from bot.routing import Router

router = Router(name="handlers.unhandled")  # pinned: handler names are stored as done-marks


@router.on(UnknownEvent)
async def log_unknown(event: UnknownEvent, ctx: HandlerContext) -> None:
    ctx.log.info(
        "unknown callback acknowledged: MsgType=%s Event=%s ChangeType=%s fields=%s",
        event.msg_type,
        event.event,
        event.change_type,
        sorted(event.raw),
    )
