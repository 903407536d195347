"""Handing a member's customers and groups to others, and following it through.

`start` lists what the member leaves (a resigned member's: WeCom's unassigned list; an on-job
member's: their customers, or the ones named), refuses before any call the on-job customers
already transferred twice in 90 days, splits the rest among the takeover members by rule
(`bot.inheritance.assign`), saves the plan and sends it. `send` hands customers over 100 a call
(each answer's errcode kept) and groups 100 a call, at most 300 a day per old owner (WeCom's
limit; the rest wait for the next day's round). `poll` reads each takeover member's results —
1 taken over, 2 waiting, 3 refused by the customer, 4 takeover member full — and on a confirmed
takeover (not before) our side follows: the profile's relations, the customer's SOP work, and
for a resigned member a transfer counted in the statistics (an on-job one is counted from
WeCom's DELETE_BY_TRANSFER callback).
"""

from __future__ import annotations

import time
from typing import Any

from bot.context import HandlerContext
from bot.errors import UserError
from bot.inheritance.assign import RULES, assign
from bot.inheritance.store import HandOver
from bot.sop.handover import hand_over
from bot.stats.recorder import StatsRecorder
from bot.wecom.api.transfer import FULL, REFUSED, TAKEN_OVER, WAITING

BATCH = 100
GROUPS_PER_DAY = 300
DAY = 86400
MAX_MESSAGE = 200
NOT_SENT, TOO_OFTEN, SENT_REFUSED = 0, -2, -1  # our own statuses beside WeCom's 1-4
FINAL = {TAKEN_OVER, REFUSED, FULL, TOO_OFTEN, SENT_REFUSED}


class InheritError(UserError, ValueError):
    """A hand-over that can't be made; in Chinese."""


async def start(
    ctx: HandlerContext,
    kind: str,
    handover: str,
    takers: list[str],
    rule: str,
    *,
    by: str,
    customers: list[str] | None = None,
    groups: bool = True,
    message: str = "",
) -> HandOver:
    """Plan and send a hand-over; refused in Chinese when it can't be made."""
    _check(kind, handover, takers, rule, message)
    now = time.time()
    mine = await _customers(ctx, kind, handover, customers)
    store = ctx.services.inheritance
    refused: set[str] = set()
    if kind == "onjob":
        counts = await store.recent_transfers(mine, now)
        refused = {c for c, n in counts.items() if n >= 2}
    chosen = [c for c in mine if c not in refused]
    if not chosen:
        raise InheritError(f"这 {len(refused)} 位客户 90 天内都已转接过 2 次，企业微信不允许再转接")
    directory = ctx.services.directory
    departments = {t: await directory.departments(t) for t in takers}
    split = assign(
        rule,
        chosen,
        takers,
        departments=departments,
        handover_departments=await directory.departments(handover),
        held=await _held(ctx, takers) if rule == "least" else None,
    )
    plan = {c: t for t, cs in split.items() for c in cs} | {c: "" for c in refused}
    chats = await ctx.wecom.external_contact.group_chats([handover]) if groups else []
    group_plan = {chat: takers[n % len(takers)] for n, chat in enumerate(chats)}
    saved = await store.add(
        HandOver("", kind, handover, tuple(takers), rule, message, groups, by, int(now)),
        plan,
        group_plan,
    )
    if refused:
        rows = {c: {"to": "", "status": TOO_OFTEN, "at": int(now)} for c in refused}
        await store.update_customers(saved.id, rows)
    await send(ctx, saved)
    return saved


def _check(kind: str, handover: str, takers: list[str], rule: str, message: str) -> None:
    if kind not in ("resigned", "onjob"):
        raise InheritError("继承方式应是 resigned（离职继承）或 onjob（在职继承）")
    if not takers:
        raise InheritError("需要接替的员工")
    if handover in takers:
        raise InheritError("接替的员工不能是原员工本人")
    if rule not in RULES:
        raise InheritError("分配规则应是 one、round_robin、department 或 least")
    if len(message) > MAX_MESSAGE:
        raise InheritError(f"给客户的转接提示最多 {MAX_MESSAGE} 字")


async def _customers(
    ctx: HandlerContext, kind: str, handover: str, named: list[str] | None
) -> list[str]:
    if kind == "resigned":
        rows = await ctx.wecom.transfer.unassigned()
        mine = [str(r["external_userid"]) for r in rows if r.get("handover_userid") == handover]
    else:
        mine = await ctx.wecom.external_contact.customers_of(handover)
    if named is not None:
        wanted = set(named)
        mine = [c for c in mine if c in wanted]
    if not mine:
        raise InheritError("这位员工没有待分配的客户" if kind == "resigned" else "没有可转接的客户")
    return sorted(dict.fromkeys(mine))


async def _held(ctx: HandlerContext, takers: list[str]) -> dict[str, int]:
    return {t: len(await ctx.wecom.external_contact.customers_of(t)) for t in takers}


async def send(ctx: HandlerContext, handover: HandOver, at: float | None = None) -> None:
    """Hand over what is not sent yet: customers 100 a call, groups within today's 300."""
    store = ctx.services.inheritance
    now = int(time.time() if at is None else at)
    rows = await store.customers(handover.id)
    for taker in handover.takers:
        waiting = sorted(c for c, r in rows.items() if r["to"] == taker and r["status"] == NOT_SENT)
        for start_at in range(0, len(waiting), BATCH):
            chunk = waiting[start_at : start_at + BATCH]
            answers = await ctx.wecom.transfer.customers(
                handover.resigned, handover.handover, taker, chunk, handover.message
            )
            updates = {}
            for answer in answers:
                code = int(answer.get("errcode", 0))
                status = WAITING if code == 0 else SENT_REFUSED
                updates[str(answer["external_userid"])] = {
                    "to": taker,
                    "status": status,
                    "errcode": code,
                    "at": now,
                }
            await store.update_customers(handover.id, updates)
            if not handover.resigned:
                await store.note_transfers(
                    [c for c, r in updates.items() if r["status"] == WAITING], now
                )
    await _send_groups(ctx, handover, now)


async def _send_groups(ctx: HandlerContext, handover: HandOver, now: int) -> None:
    store = ctx.services.inheritance
    groups = await store.groups(handover.id)
    today = sum(1 for g in groups.values() if g["state"] == "done" and now - g.get("at", 0) < DAY)
    room = GROUPS_PER_DAY - today
    for taker in handover.takers:
        waiting = sorted(
            g for g, r in groups.items() if r["to"] == taker and r["state"] == "waiting"
        )
        for start_at in range(0, min(len(waiting), max(room, 0)), BATCH):
            chunk = waiting[start_at : start_at + min(BATCH, room)]
            failed = {
                str(f["chat_id"]): int(f.get("errcode", 0))
                for f in await ctx.wecom.transfer.groups(handover.resigned, chunk, taker)
            }
            updates: dict[str, dict[str, Any]] = {}
            for chat in chunk:
                code = failed.get(chat, 0)
                if code == 90500:  # the old owner's 300 a day: tomorrow
                    room = 0
                    continue
                updates[chat] = {
                    "to": taker,
                    "state": "failed" if code else "done",
                    "errcode": code,
                    "at": now,
                }
            room -= sum(1 for r in updates.values() if r["state"] == "done")
            await store.update_groups(handover.id, updates)
            if room <= 0:
                return


async def poll(ctx: HandlerContext, handover: HandOver) -> bool:
    """Read each takeover member's results; follow confirmed takeovers; True when final."""
    store = ctx.services.inheritance
    rows = await store.customers(handover.id)
    for taker in handover.takers:
        updates = {}
        for result in await ctx.wecom.transfer.results(handover.resigned, handover.handover, taker):
            customer = str(result.get("external_userid", ""))
            row = rows.get(customer)
            if row is None or row["to"] != taker or row["status"] in FINAL:
                continue
            status = int(result.get("status", WAITING))
            row = row | {"status": status}
            if status == TAKEN_OVER:
                at = int(result.get("takeover_time") or time.time())
                await _follow(ctx, handover, customer, taker, at)
                row["at"] = at
            updates[customer] = row
        await store.update_customers(handover.id, updates)
        rows |= updates
    groups = await store.groups(handover.id)
    final = all(r["status"] in FINAL for r in rows.values())
    final = final and all(g["state"] != "waiting" for g in groups.values())
    if final:
        await store.finish(handover)
    return final


async def _follow(
    ctx: HandlerContext, handover: HandOver, customer: str, taker: str, at: int
) -> None:
    """Our side of a confirmed takeover."""
    profiles = ctx.services.profiles
    await profiles.added(customer, taker, at, "")
    await profiles.follow_deleted(customer, handover.handover, "transfer", at)
    await hand_over(ctx, customer, handover.handover, taker)
    if handover.resigned:
        mark = f"inherit:{handover.id}:{customer}"
        await StatsRecorder(ctx.redis, ctx.keys).transferred(mark, handover.handover, customer, at)
