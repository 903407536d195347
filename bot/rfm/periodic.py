"""RFM segments once a day from SCRM_RFM_HOUR (the run takes the RFM lock and marks the day)."""

from __future__ import annotations

from bot.clock import corp_now
from bot.context import HandlerContext
from bot.periodic import PeriodicWork
from bot.rfm.corp_run import corp_runner

RFM_CHECK_SECONDS = 60.0


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    rfm = corp_runner(ctx.redis, ctx.keys, ctx.wecom, ctx.settings)
    hour = ctx.settings.rfm_hour
    return [
        PeriodicWork("rfm-segments", RFM_CHECK_SECONDS, lambda: rfm.run_daily(hour, corp_now()))
    ]
