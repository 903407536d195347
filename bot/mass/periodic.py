"""The mass-send tasks' periodic work, by one process a round:
- tasks whose start time has come are made (`bot.mass.create.make`), and one a crash
  interrupted is resumed: its parts' claims keep each WeCom task made at most once;
- the results of tasks waiting for their members are read back (`bot.mass.results`), less
  often, until final; the task is then done.
"""

from __future__ import annotations

import time

from bot.context import HandlerContext
from bot.mass.create import make
from bot.mass.results import refresh
from bot.periodic import PeriodicWork

MAKE_SECONDS = 30.0
RESULTS_SECONDS = 600.0  # results change when a member confirms: ten minutes is fresh enough
MAKE_LOCK_SECONDS = 900  # staging a million customers takes a while; held by one process


async def make_due(ctx: HandlerContext, now: float | None = None) -> int:
    """Make every task due by `now`; returns how many were made."""
    now = time.time() if now is None else now
    made = 0
    for task in await ctx.services.mass.all():
        due = task.status == "scheduled" and task.start_at() <= now
        if due or task.status == "creating":
            made += (await make(ctx, task, now)) is not None
    return made


async def read_results(ctx: HandlerContext) -> int:
    """Refresh the tasks waiting for their members; returns how many became final."""
    store = ctx.services.mass
    finished = 0
    for task in await store.all():
        if task.status == "sent" and await refresh(ctx, task):
            finished += (await store.move(task, "done")) is not None
    return finished


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    return [
        PeriodicWork(
            "mass-make",
            MAKE_SECONDS,
            lambda: make_due(ctx),
            ctx.keys.mass_lock,
            lock_ttl=MAKE_LOCK_SECONDS,
        ),
        PeriodicWork(
            "mass-results", RESULTS_SECONDS, lambda: read_results(ctx), ctx.keys.mass_results_lock
        ),
    ]
