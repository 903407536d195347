"""The moments tasks' periodic work, by one process a round: new tasks are made in WeCom, and
the made ones are read back (the job's result, then who has published, who can see it,
comments and likes) until everyone has published, or for a week."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.moments.runner import launch, refresh
from bot.periodic import PeriodicWork

ROUND_SECONDS = 120.0


async def round_(ctx: HandlerContext) -> int:
    """Launch new tasks and refresh made ones; returns how many were looked at."""
    seen = 0
    for task in await ctx.services.moments.all():
        if task.status == "new":
            await launch(ctx, task)
        elif task.status == "created":
            await refresh(ctx, task)
        else:
            continue
        seen += 1
    return seen


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    return [
        PeriodicWork(
            "moments", ROUND_SECONDS, lambda: round_(ctx), ctx.keys.moments_lock, lock_ttl=300
        )
    ]
