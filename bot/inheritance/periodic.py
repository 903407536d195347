"""Open hand-overs, by one process a round: what is not sent yet goes (groups past a day's 300
wait here for the next day), and the results are read until every customer and group is final."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.inheritance.runner import poll, send
from bot.periodic import PeriodicWork

ROUND_SECONDS = 600.0  # a takeover completes 24 hours after the transfer: ten minutes is fresh


async def round_(ctx: HandlerContext, now: float | None = None) -> int:
    """Send and read every open hand-over; returns how many became final."""
    finished = 0
    for handover in await ctx.services.inheritance.all():
        if handover.status == "open":
            await send(ctx, handover, now)
            finished += await poll(ctx, handover)
    return finished


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    return [
        PeriodicWork(
            "inheritance", ROUND_SECONDS, lambda: round_(ctx), ctx.keys.inherit_lock, lock_ttl=600
        )
    ]
