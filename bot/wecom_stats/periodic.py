"""WeCom's statistics pulled every six hours, by one process: yesterday and the days before it
whose figures may still change."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.periodic import PeriodicWork
from bot.wecom_stats.pull import pull_recent

PULL_SECONDS = 6 * 3600.0


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    return [
        PeriodicWork(
            "wecom-stats",
            PULL_SECONDS,
            lambda: pull_recent(ctx),
            ctx.keys.wecom_stats_lock,
            lock_ttl=1800,
        )
    ]
