"""What admins do with mass-send tasks — save, pause, resume, remind, cancel — shared by the
CLI, admin chat, the console and configuration imports. Each refuses in Chinese what can't be
done now, and each change is audited by its caller."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date

from bot.attachments import first_missing
from bot.context import HandlerContext
from bot.mass.create import quota_of
from bot.mass.model import STATUS_NAMES, TEXT_VARIABLES, MassError, MassTask, validate
from bot.templating.render import text_problem
from bot.wecom import WeComError

MAX_TEXT_BYTES = 4000
REMINDERS_PER_DAY = 3  # WeCom's limit per WeCom task in 24 hours


async def save_new(ctx: HandlerContext, task: MassTask, by: str) -> MassTask:
    """Check and save a new task (scheduled; made when its start time comes)."""
    await check(ctx, task)
    fresh = replace(task, id="", status="scheduled", created_by=by, created_at=int(time.time()))
    return await ctx.services.mass.add(fresh)


async def check(ctx: HandlerContext, task: MassTask) -> None:
    """Raise `MassError` for a task that can't be saved: its fields, its text (template,
    blocked words, size) and what its attachments refer to."""
    validate(task)
    problem = (
        text_problem(task.text, TEXT_VARIABLES, MAX_TEXT_BYTES, ctx.text) if task.text else None
    )
    if problem:
        raise MassError(f"群发内容{problem}")
    await _check_references(ctx, task)


async def _check_references(ctx: HandlerContext, task: MassTask) -> None:
    missing = await first_missing(list(task.attachments), ctx.redis, ctx.keys)
    if missing is not None:
        kind, ref = missing
        what = {"media": "文件", "product": "商品", "group_code": "群活码"}[kind]
        later = "，请先上传" if kind == "media" else ""
        raise MassError(f"附件引用的{what} {ref[:20]} 不存在{later}")


async def task_or_error(ctx: HandlerContext, task_id: str) -> MassTask:
    task = await ctx.services.mass.get(task_id)
    if task is None:
        raise MassError(f"没有编号为 {task_id[:20]} 的群发任务")
    return task


async def pause(ctx: HandlerContext, task_id: str) -> MassTask:
    """Hold a task that has not been made yet."""
    task = await task_or_error(ctx, task_id)
    if task.status != "scheduled":
        raise MassError(f"只有待创建的任务可以暂停；这个任务{_state(task)}")
    return await _moved(ctx, task, "paused")


async def resume(ctx: HandlerContext, task_id: str) -> MassTask:
    task = await task_or_error(ctx, task_id)
    if task.status != "paused":
        raise MassError(f"只有已暂停的任务可以继续；这个任务{_state(task)}")
    return await _moved(ctx, task, "scheduled")


async def cancel(ctx: HandlerContext, task_id: str) -> tuple[MassTask, int]:
    """Cancel a task: before it is made, nothing goes; after, the members who haven't sent
    can no longer send (their recipients' quota places come back). Returns the task and how
    many WeCom tasks were cancelled."""
    task = await task_or_error(ctx, task_id)
    if task.status in ("scheduled", "paused"):
        return await _moved(ctx, task, "cancelled"), 0
    if task.status == "creating":
        raise MassError("任务正在创建中，请稍后再取消")
    if task.status != "sent":
        raise MassError(f"这个任务{_state(task)}，不能再取消")
    cancelled = 0
    store = ctx.services.mass
    for _part, member, info in await store.waiting(task.id):
        msgid = str(info["msgid"])
        unsent = [
            str(row.get("external_userid") or row.get("chat_id") or "")
            for row in await ctx.wecom.mass.send_result(msgid, member)
            if int(row.get("status", 0)) == 0
        ]
        try:
            await ctx.wecom.mass.cancel(msgid)
        except WeComError as exc:
            raise MassError(f"企业微信没有取消（{exc.errcode}），可能员工刚刚已发送") from None
        await quota_of(ctx).release([u for u in unsent if u], date.fromisoformat(str(info["day"])))
        cancelled += 1
    return await _moved(ctx, task, "cancelled"), cancelled


async def cancel_unmade(ctx: HandlerContext, task_id: str) -> MassTask:
    """Cancel a task not made yet (撤销 of its creation); refused once it is being made."""
    task = await task_or_error(ctx, task_id)
    if task.status not in ("scheduled", "paused"):
        raise MassError(f"这个任务{_state(task)}，请用「群发 取消」")
    return await _moved(ctx, task, "cancelled")


async def remind(ctx: HandlerContext, task_id: str) -> int:
    """Have WeCom remind the members who haven't sent (≤3 times a WeCom task in 24 hours);
    returns how many were reminded."""
    task = await task_or_error(ctx, task_id)
    if task.status != "sent":
        raise MassError(f"只有待员工发送的任务可以提醒；这个任务{_state(task)}")
    store = ctx.services.mass
    now = time.time()
    reminded = 0
    for part, _member, info in await store.waiting(task.id):
        if not await store.note_reminder(task.id, part, now, REMINDERS_PER_DAY):
            continue
        try:
            await ctx.wecom.mass.remind(str(info["msgid"]))
        except WeComError:
            continue  # sent meanwhile, or WeCom's own count is reached
        reminded += 1
    if not reminded:
        raise MassError("没有可提醒的员工：都已发送，或 24 小时内已提醒 3 次")
    return reminded


async def _moved(ctx: HandlerContext, task: MassTask, status: str) -> MassTask:
    moved = await ctx.services.mass.move(task, status)
    if moved is None:
        raise MassError("任务状态刚刚变了，请刷新后再试")
    return moved


def _state(task: MassTask) -> str:
    return f"「{STATUS_NAMES.get(task.status, task.status)}」"
