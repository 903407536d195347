"""A mass-send task as people read it — members and customers by name, times in corp time —
for the CLI, admin chat and the console."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.clock import corp_clock
from bot.context import HandlerContext
from bot.mass.create import Preview
from bot.mass.model import MODE_NAMES, STATUS_NAMES, MassTask
from bot.mass.results import STATE_NAMES, rollup

LEFT_OUT = {
    "quota": "已达群发次数上限",
    "recent": "今天/本周已收到过群发",
    "wecom_refused": "企业微信拒收（非好友等）",
    "refused": "任务未建成",
}
PART_STATES = {
    "new": "待创建",
    "creating": "创建中",
    "created": "已创建",
    "empty": "无人可发",
    "failed": "失败",
    "unknown": "结果未知（未重试）",
}
SHOWN_IDS = 10


async def names_of(ctx: HandlerContext, ids: list[str], groups: bool) -> list[str]:
    """Display names of customers (or groups), each falling back to its id."""
    out = []
    for target in ids[:SHOWN_IDS]:
        if groups:
            name = await ctx.services.names.groups.name(target)
        else:
            name = (await ctx.services.profiles.get(target)).name
        out.append(name or target)
    return out


async def member_name(ctx: HandlerContext, userid: str) -> str:
    return await ctx.services.names.directory.name(userid) or userid


async def task_view(ctx: HandlerContext, task: MassTask) -> dict[str, Any]:
    """The task, its WeCom tasks, who was left out and why, and the results as last read."""
    store = ctx.services.mass
    parts = []
    for part, info in sorted((await store.parts(task.id)).items()):
        if not part:
            continue
        member = str(info.get("member", ""))
        parts.append(
            {
                "part": part,
                "member": member,
                "member_name": await member_name(ctx, member),
                "recipients": info.get("size", 0),
                "state": PART_STATES.get(str(info.get("state")), str(info.get("state"))),
                "msgid": info.get("msgid", ""),
                "wecom_refused": info.get("fail", 0),
                "error": info.get("error", ""),
            }
        )
    left = {}
    for reason, (count, ids) in (await store.left_out_report(task.id)).items():
        left[LEFT_OUT.get(reason, reason)] = {
            "count": count,
            "examples": await names_of(ctx, ids, task.groups),
        }
    numbers = await rollup(ctx, task)
    members = {
        await member_name(ctx, m): {
            "sent": v["sent"],
            **_named(v["counts"]),
        }
        for m, v in sorted(numbers.per_member.items())
    }
    return {
        "id": task.id,
        "name": task.name,
        "status": STATUS_NAMES.get(task.status, task.status),
        "mode": MODE_NAMES.get(task.mode, task.mode),
        "to": "客户群" if task.groups else "客户",
        "start": task.not_before or "立即",
        "created": corp_clock(task.created_at) if task.created_at else "",
        "created_by": await member_name(ctx, task.created_by) if task.created_by else "",
        "wecom_tasks": parts,
        "left_out": left,
        "members_sent": numbers.members_sent,
        "members_pending": numbers.members_pending,
        "recipients": {
            STATE_NAMES[k]: n for k, n in numbers.recipients.items() if k in STATE_NAMES
        },
        "per_member": members,
    }


async def preview_view(ctx: HandlerContext, task: MassTask, seen: Preview) -> dict[str, Any]:
    """A preview with members and the left-out examples by name."""
    per_member: Counter[str] = Counter()
    for member, count in seen.members.items():
        per_member[await member_name(ctx, member)] += count
    return {
        "total": seen.total,
        "per_member": dict(per_member.most_common()),
        "left_out": {
            LEFT_OUT.get(reason, reason): {
                "count": seen.left_counts[reason],
                "examples": await names_of(ctx, ids, task.groups),
            }
            for reason, ids in seen.left_out.items()
            if seen.left_counts[reason]
        },
    }


def _named(counts: dict[str, int]) -> dict[str, int]:
    return {STATE_NAMES[k]: n for k, n in counts.items() if k in STATE_NAMES}


def task_line(task: MassTask) -> str:
    """One line of a list: id, name, status, start."""
    start = task.not_before or "立即"
    return f"{task.id} {task.name}（{STATUS_NAMES.get(task.status, task.status)}，{start}）"
