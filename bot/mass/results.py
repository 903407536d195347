"""What became of a mass-send task's WeCom tasks, read back until final (doc 92135).

Per part (one member's WeCom task): `get_groupmsg_task` says whether the member has sent
(status 2) or not yet (0); once sent, `get_groupmsg_send_result` says for each recipient
sent (1), not a friend (2) or over the mass-message quota (3) — read once, as it no longer
changes. A task is final when every member has sent, when it was cancelled, or `GIVE_UP_DAYS`
after it was made (a member who never confirms stays "未发送").
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.context import HandlerContext
from bot.mass.model import MassTask

GIVE_UP_DAYS = 7
SENT = 2
RECIPIENT_STATES = {0: "unsent", 1: "sent", 2: "not_friend", 3: "quota"}
STATE_NAMES = {
    "unsent": "未发送",
    "sent": "已送达",
    "not_friend": "非好友",
    "quota": "超出群发次数",
}


@dataclass
class Rollup:
    """A task's numbers: members who sent / not yet, and recipients per outcome."""

    members_sent: int = 0
    members_pending: int = 0
    recipients: Counter[str] = field(default_factory=Counter)
    per_member: dict[str, dict[str, Any]] = field(default_factory=dict)


async def refresh(ctx: HandlerContext, task: MassTask) -> bool:
    """Read what changed since the last look; True when the task is final."""
    store = ctx.services.mass
    final = True
    for part, member, info in await store.waiting(task.id):
        result = await _read(ctx, str(info["msgid"]), member, int(info.get("reached", 0)))
        await store.set_result(task.id, part, member, result)
        final = final and bool(result["final"])
    made = task.created_at
    return final or time.time() - made > GIVE_UP_DAYS * 86400


async def _read(ctx: HandlerContext, msgid: str, member: str, reached: int) -> dict[str, Any]:
    rows = await ctx.wecom.mass.task(msgid)
    row = next((r for r in rows if r.get("userid") == member), {})
    status = int(row.get("status", 0))
    result: dict[str, Any] = {"status": status, "final": False, "counts": {"unsent": reached}}
    if status != SENT:
        return result
    counts: Counter[str] = Counter()
    for entry in await ctx.wecom.mass.send_result(msgid, member):
        counts[RECIPIENT_STATES.get(int(entry.get("status", 0)), "unsent")] += 1
    result |= {"final": True, "send_time": int(row.get("send_time", 0)), "counts": dict(counts)}
    return result


async def rollup(ctx: HandlerContext, task: MassTask) -> Rollup:
    """The task's numbers as last read (no WeCom call)."""
    store = ctx.services.mass
    results = await store.results(task.id)
    out = Rollup()
    for part, info in (await store.parts(task.id)).items():
        if not part or info.get("state") != "created":
            continue
        member = str(info["member"])
        result = results.get((part, member), {"status": 0, "counts": {"unsent": info["reached"]}})
        sent = result.get("status") == SENT
        out.members_sent += sent
        out.members_pending += not sent
        out.recipients.update(result.get("counts", {}))
        mine = out.per_member.setdefault(member, {"sent": sent, "counts": Counter()})
        mine["sent"] = mine["sent"] and sent
        mine["counts"].update(result.get("counts", {}))
    return out
