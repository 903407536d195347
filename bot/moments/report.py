"""A moments task as people read it (CLI and console): each member's post by name, and the
totals of posts published, still pending, customers reached, comments and likes."""

from __future__ import annotations

from typing import Any

from bot.context import HandlerContext
from bot.moments.model import STATUS_NAMES, MomentTask


def line(task: MomentTask) -> dict[str, Any]:
    return {"id": task.id, "name": task.name, "status": STATUS_NAMES.get(task.status, task.status)}


async def view(ctx: HandlerContext, task: MomentTask) -> dict[str, Any]:
    """The task with each member's post by name, and the totals."""
    names = ctx.services.names.directory
    members = {}
    totals = {"published": 0, "pending": 0, "seen_by": 0, "comments": 0, "likes": 0}
    for member, row in sorted((await ctx.services.moments.members(task.id)).items()):
        members[await names.name(member) or member] = row
        totals["published" if row.get("published") else "pending"] += 1
        for key in ("seen_by", "comments", "likes"):
            totals[key] += int(row.get(key, 0))
    return line(task) | {
        "error": task.error,
        "invalid": task.invalid,
        "members": members,
        **totals,
    }
