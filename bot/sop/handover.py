"""A customer's SOP follows them to the member they were handed to (继承, once the takeover is
confirmed): their open tasks (reminders and mass steps waiting to be done) and the steps still
scheduled for the old member move to the new one, at the same times."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.sop import jobs
from bot.storage.ids import glob_escape


async def hand_over(ctx: HandlerContext, customer: str, old: str, new: str) -> int:
    """Move `customer`'s SOP work from `old` to `new`; returns how many tasks and steps moved."""
    moved = 0
    tasks = ctx.services.sop_tasks
    for task in await tasks.pending(old, customer):
        if task.target == customer:
            await tasks.reassign(task, new)
            moved += 1
    scheduler = ctx.services.sops.scheduler
    pattern = f"{jobs.STEP}|*|*|{glob_escape(old)}|{glob_escape(customer)}|*"
    due = {job_id: at async for job_id, at in scheduler.scheduled(pattern)}
    sources, renamed = [], {}
    for job_id, at in due.items():
        step = jobs.parse_step(job_id)
        if step is not None and step.staff == old and step.target == customer:
            sources.append(job_id)
            renamed[jobs.step_id(step.rule_id, step.index, new, customer, step.trigger_at)] = at
    if renamed:
        await scheduler.cancel(sources)
        await scheduler.add(renamed)
    return moved + len(renamed)
