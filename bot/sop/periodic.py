"""Due jobs (SOP steps, calendar occurrences, churn alerts): every process claims due jobs
atomically, so all of them poll and each job still runs once."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.periodic import PeriodicWork
from bot.sop.runner import JOBS_POLL_SECONDS, job_runner


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    return [PeriodicWork("due-jobs", JOBS_POLL_SECONDS, job_runner(ctx).run_due)]
