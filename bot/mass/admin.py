"""Admin chat commands of mass-send tasks: 群发 列表, 查看, 暂停, 继续 (audited and undoable),
提醒 and 取消 (confirmed with a code first: WeCom can't take a cancel back). Tasks are made in
the console or with `scrm-bot mass`."""

from __future__ import annotations

from bot.admin.call import AdminPart, Call, CommandError, Confirmation
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.mass import actions
from bot.mass.model import STATUS_NAMES, MassError, MassTask
from bot.mass.report import task_line, task_view
from bot.mass.results import refresh
from bot.quoting import echo

SHOWN = 20


async def tasks(cmd: Parsed, call: Call) -> str:
    found = await call.ctx.services.mass.all()
    if not found:
        return "还没有群发任务。在管理后台「群发」页或用 scrm-bot mass create 新建。"
    lines = [f"群发任务 {len(found)} 个（编号 名称，状态，开始）："]
    lines += [task_line(task) for task in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(f"……另有 {len(found) - SHOWN} 个，见管理后台。")
    lines.append("发送「群发 查看 <编号>」看各员工的发送情况。")
    return "\n".join(lines)


async def _task(call: Call, task_id: str) -> MassTask:
    try:
        return await actions.task_or_error(call.ctx, task_id)
    except MassError:
        raise CommandError(
            f"没有编号为 {echo(task_id)} 的群发任务。发送「群发 列表」查看。"
        ) from None


async def show(cmd: Parsed, call: Call) -> str:
    task = await _task(call, cmd["id"])
    if task.status == "sent":
        await refresh(call.ctx, task)
    view = await task_view(call.ctx, task)
    lines = [f"群发 {task.id}「{task.name}」：{view['status']}，{view['mode']}，发给{view['to']}"]
    if view["wecom_tasks"]:
        lines.append(f"员工已发送 {view['members_sent']} 人，未发送 {view['members_pending']} 人")
        numbers = "，".join(f"{k} {v}" for k, v in view["recipients"].items())
        lines.append(f"接收人：{numbers or '暂无'}")
    for member, row in view["per_member"].items():
        state = "已发送" if row["sent"] else "未发送"
        lines.append(f"· {member}：{state}")
    for reason, row in view["left_out"].items():
        examples = "、".join(row["examples"][:3])
        lines.append(f"未发送（{reason}）{row['count']} 个，如 {examples}")
    return "\n".join(lines)


async def _switch(call: Call, task_id: str, pause: bool) -> MassTask:
    try:
        task = await (actions.pause if pause else actions.resume)(call.ctx, task_id)
    except MassError as exc:
        raise CommandError(str(exc)) from None
    before, after = ("scheduled", "paused") if pause else ("paused", "scheduled")
    verb = "暂停" if pause else "继续"
    change = Change("mass", task.id, {"status": before}, {"status": after}, f"{verb}群发 {task.id}")
    await call.session.changed(f"mass.{'pause' if pause else 'resume'}", change)
    return task


async def pause(cmd: Parsed, call: Call) -> str:
    task = await _switch(call, cmd["id"], True)
    return f"已暂停群发 {task.id}「{task.name}」：到开始时间也不会创建。发送「撤销」可恢复。"


async def resume(cmd: Parsed, call: Call) -> str:
    task = await _switch(call, cmd["id"], False)
    return f"群发 {task.id}「{task.name}」已继续，到开始时间创建。"


async def remind(cmd: Parsed, call: Call) -> str:
    try:
        count = await actions.remind(call.ctx, cmd["id"])
    except MassError as exc:
        raise CommandError(str(exc)) from None
    return f"已请企业微信提醒 {count} 位未发送的员工（每个任务 24 小时内最多 3 次）。"


async def preview_cancel(cmd: Parsed, call: Call) -> Confirmation:
    task = await _task(call, cmd["id"])
    status = STATUS_NAMES.get(task.status, task.status)
    return Confirmation(
        f"将取消群发 {task.id}「{task.name}」（{status}）：未发送的员工不能再发，无法撤销"
    )


async def cancel(cmd: Parsed, call: Call) -> str:
    try:
        task, count = await actions.cancel(call.ctx, cmd["id"])
    except MassError as exc:
        raise CommandError(str(exc)) from None
    summary = f"取消群发 {task.id}「{task.name}」"
    await call.ctx.services.audit.record(call.admin, "chat", "mass.cancel", task.id, summary)
    made = f"，撤回了 {count} 个企业微信群发任务" if count else ""
    return f"已取消群发 {task.id}「{task.name}」{made}。"


async def undo(change: Change, call: Call) -> str:
    """撤销 of 暂停 / 继续: back to the status it had."""
    was = str((change.before or {}).get("status", ""))
    try:
        switch = actions.pause if was == "paused" else actions.resume
        task = await switch(call.ctx, change.target)
    except MassError as exc:
        raise CommandError(f"群发 {change.target} 无法恢复：{exc}") from None
    return f"已撤销：群发 {task.id} {'已暂停' if was == 'paused' else '已继续'}。"


async def undo_create(change: Change, call: Call) -> str:
    """撤销 of a task saved in the console: cancelled while it is not made yet."""
    try:
        await actions.cancel_unmade(call.ctx, change.target)
    except MassError as exc:
        raise CommandError(f"群发 {change.target} 不能撤销：{exc}") from None
    return f"已撤销：群发 {change.target} 已取消，不会创建"


def _spec(
    verb: str,
    words: tuple[str, ...],
    usage: str,
    help_: str,
    changes: bool = False,
    destructive: bool = False,
) -> Spec:
    args = ("id",) if "<编号>" in usage else ()
    return Spec("mass", verb, words, args, usage, help_, changes=changes, destructive=destructive)


PART = AdminPart(
    nouns=(Noun("mass", ("群发", "mass"), "群发"),),
    specs=(
        _spec("list", ("列表", "list"), "群发 列表", "列出群发任务和状态。"),
        _spec(
            "show",
            ("查看", "show"),
            "群发 查看 <编号>",
            "一个群发任务：各员工是否已发送、送达人数、未发送的原因。",
        ),
        _spec(
            "pause",
            ("暂停", "pause"),
            "群发 暂停 <编号>",
            "暂停一个尚未创建的群发任务。",
            changes=True,
        ),
        _spec(
            "resume",
            ("继续", "resume"),
            "群发 继续 <编号>",
            "继续一个暂停的群发任务。",
            changes=True,
        ),
        _spec(
            "remind",
            ("提醒", "remind"),
            "群发 提醒 <编号>",
            "请企业微信提醒未发送的员工（24 小时内最多 3 次）。",
        ),
        _spec(
            "cancel",
            ("取消", "cancel"),
            "群发 取消 <编号>",
            "取消群发：未发送的员工不能再发（需确认，不能撤销）。",
            destructive=True,
        ),
    ),
    executors={
        "mass.list": tasks,
        "mass.show": show,
        "mass.pause": pause,
        "mass.resume": resume,
        "mass.remind": remind,
        "mass.cancel": cancel,
    },
    previews={"mass.cancel": preview_cancel},
    undo={"mass": undo, "mass-task": undo_create},
)
