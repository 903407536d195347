"""A hand-over as people read it (CLI, console, admin chat): each takeover member's customers by
outcome, by name, and the groups by state; times in the corp's clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.clock import corp_clock
from bot.context import HandlerContext
from bot.inheritance.assign import RULE_NAMES
from bot.inheritance.store import HandOver

STATUS_NAMES = {0: "未发送", 1: "已接替", 2: "等待接替", 3: "客户拒绝", 4: "接替成员客户已满"}
STATUS_NAMES |= {-1: "企业微信拒绝", -2: "90 天内已转接 2 次"}
GROUP_STATES = {"waiting": "待转移", "done": "已转移", "failed": "失败"}


def line(handover: HandOver) -> dict[str, Any]:
    kind = "离职继承" if handover.resigned else "在职继承"
    when = corp_clock(handover.created_at)
    return {
        "id": handover.id,
        "kind": kind,
        "from": handover.handover,
        "at": when,
        "status": handover.status,
    }


async def view(ctx: HandlerContext, handover: HandOver) -> dict[str, Any]:
    """The hand-over with each takeover member's customers by outcome, by name."""
    names = ctx.services.names
    store = ctx.services.inheritance
    customers: dict[str, Counter[str]] = {}
    for row in (await store.customers(handover.id)).values():
        who = await names.staff_for_admins(row["to"]) if row["to"] else "（未分配）"
        customers.setdefault(who, Counter())[
            STATUS_NAMES.get(row["status"], str(row["status"]))
        ] += 1
    groups: Counter[str] = Counter(g["state"] for g in (await store.groups(handover.id)).values())
    return line(handover) | {
        "from_name": await names.staff_for_admins(handover.handover),
        "rule": RULE_NAMES.get(handover.rule, handover.rule),
        "customers": {who: dict(c) for who, c in customers.items()},
        "groups": {GROUP_STATES.get(k, k): n for k, n in groups.items()},
    }
