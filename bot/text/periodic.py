"""Block words reach WeCom's intercept rules seconds after any change (`intercept_auto`); the
sync takes its own lock, so every process may look."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.periodic import PeriodicWork
from bot.text.intercept_auto import CHECK_SECONDS


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    syncer = ctx.services.intercept
    return [PeriodicWork("intercept-sync", CHECK_SECONDS, syncer.tick)]
