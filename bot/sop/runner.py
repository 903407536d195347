"""The one job runner of a process: SOP steps, calendar occurrences and churn alerts."""

from __future__ import annotations

from bot.churn import KIND as ALERT
from bot.churn import ChurnAlerts
from bot.context import HandlerContext
from bot.jobs import JobHandler, JobRunner
from bot.names import labeled
from bot.scheduler import Claimed
from bot.sop import batches, jobs
from bot.sop.batch_send import BatchSender
from bot.sop.deliver import SopDelivery
from bot.wecom import WeComError

JOBS_POLL_SECONDS = 1.0


async def describe(job_id: str, ctx: HandlerContext) -> str:
    """A job in words, for the admins' failure report: the SOP, member and customer or group by
    name, their ids in brackets."""
    names = ctx.services.names
    step = jobs.parse_step(job_id)
    if step is not None:
        rule = await ctx.services.sops.get(step.rule_id)
        sop = labeled(rule.name if rule else "", step.rule_id)
        member = await names.staff_for_admins(step.staff)
        if step.target == "*":
            about = "对象 员工的客户"
        elif rule is not None and rule.kind == "group":
            about = f"客户群 {await names.group_for_admins(step.target)}"
        else:
            about = f"客户 {await names.customer_for_admins(step.target)}"
        return f"SOP「{sop}」第 {step.index + 1} 步（员工 {member}，{about}）"
    batch = batches.parse_batch_job(job_id)
    if batch is not None:
        rule = await ctx.services.sops.get(batch[1])
        sop = labeled(rule.name if rule else "", batch[1])
        member = await names.staff_for_admins(batch[3])
        return f"SOP「{sop}」第 {batch[2] + 1} 步的群发（员工 {member}）"
    if job_id.startswith(f"{ALERT}|"):
        return f"流失提醒（员工 {await names.staff_for_admins(job_id.split('|')[2])}）"
    return job_id


def job_runner(ctx: HandlerContext, *, batch: int = 500) -> JobRunner:
    """Every kind of scheduled job, with failures reported to the admins."""
    delivery = SopDelivery(ctx)

    async def report(job: Claimed, reason: str) -> None:
        if not ctx.settings.admins:
            return
        text = f"以下任务多次重试后仍未完成，已放弃：{await describe(job.id, ctx)}。原因：{reason}"
        try:
            await ctx.wecom.message.send_text(sorted(ctx.settings.admins), text)
        except WeComError as exc:
            ctx.log.warning("failure report not sent: %s", exc)

    handlers: dict[str, JobHandler] = {
        jobs.STEP: delivery.step,
        jobs.FIRE: delivery.fire,
        batches.JOB: BatchSender(ctx),
        ALERT: ChurnAlerts(ctx),
    }
    return JobRunner(ctx.services.scheduler, handlers, report, batch=batch)
