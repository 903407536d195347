"""Previewing a mass-send task, and making its WeCom tasks (doc 92135).

Making a task: its audience is staged into parts (`bot.mass.store`), then each part, claimed
once, takes its recipients' places in the quota (`bot.mass.quota`: those over it, or already
reached today/this week when the task says so, are left out and reported — never sent to
bounce), and becomes one `add_msg_template` call for its member. Every msgid and fail_list is
kept; places of recipients WeCom refused are given back. A part whose call got no answer is
marked "unknown" rather than tried again: WeCom may have made it, and a second task would
reach its customers twice. Then each member gets an app message card to go and send.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date

from bot.attachments import Attachment, materialize
from bot.clock import corp_date
from bot.context import HandlerContext
from bot.mass.audience import AudienceReader, Pick
from bot.mass.model import MAX_CUSTOMERS, MAX_GROUPS, MassTask
from bot.mass.quota import MassQuota
from bot.templating import render_or_plain
from bot.text.guard import BlockedText
from bot.wecom import WeComError
from bot.wecom.errors import WeComTransportError

STALE_CLAIM_SECONDS = 600  # a part still "creating" this long after its claim: its maker died
log = logging.getLogger(__name__)


@dataclass
class Preview:
    """What creating the task now would do: recipients per member, and who is left out."""

    members: Counter[str] = field(default_factory=Counter)
    left_out: dict[str, list[str]] = field(default_factory=dict)  # reason -> first ids
    left_counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.members.values())


def quota_of(ctx: HandlerContext) -> MassQuota:
    return MassQuota(ctx.redis, ctx.keys, ctx.settings.mass_quota)


def reader_of(ctx: HandlerContext) -> AudienceReader:
    return AudienceReader(ctx.redis, ctx.keys, ctx.services.directory.departments)


async def recipients(ctx: HandlerContext, task: MassTask) -> AsyncIterator[list[tuple[str, str]]]:
    """The task's (target, member) pairs a batch at a time: customers from the profiles,
    groups from WeCom's group lists of the owners."""
    if not task.groups:
        async for picks in reader_of(ctx).customers(task.audience):
            yield [(p.external_userid, p.member) for p in picks]
        return
    for owner in task.audience.staff:  # one list per owner: it says whose each group is
        chats = await ctx.wecom.external_contact.group_chats([owner])
        if task.audience.group_name:
            names = ctx.services.names.groups
            chats = [c for c in chats if task.audience.group_name in await names.name(c)]
        yield [(chat_id, owner) for chat_id in chats]


async def preview(ctx: HandlerContext, task: MassTask, sample: int = 20) -> Preview:
    """Count, reserving nothing, whom each member would reach and who would be left out."""
    quota = quota_of(ctx)
    day = corp_date(time.time())
    result = Preview()
    seen: set[str] = set()
    async for pairs in recipients(ctx, task):
        fresh = [(t, m) for t, m in pairs if t not in seen]
        seen.update(t for t, _ in fresh)
        over, recent = await quota.standing([t for t, _ in fresh], day, task.skip_recent)
        out = set(over) | set(recent)
        for reason, ids in (("quota", over), ("recent", recent)):
            result.left_counts[reason] += len(ids)
            kept = result.left_out.setdefault(reason, [])
            kept += ids[: max(sample - len(kept), 0)]
        result.members.update(m for t, m in fresh if t not in out)
    return result


async def make(ctx: HandlerContext, task: MassTask, now: float | None = None) -> MassTask | None:
    """Make a due task's WeCom tasks (resuming one a crash interrupted); the task as it ends,
    or None when another process moved it first."""
    store = ctx.services.mass
    now = time.time() if now is None else now
    current: MassTask | None = task
    if task.status == "scheduled":
        current = await store.move(task, "creating")
    if current is None or current.status != "creating":
        return current
    parts = await store.parts(task.id)
    if not parts[""]["staged"]:
        size = MAX_GROUPS if task.groups else MAX_CUSTOMERS
        async for pairs in recipients(ctx, task):
            await store.stage(task.id, pairs, size)
        await store.staged(task.id)
        parts = await store.parts(task.id)
    day = corp_date(now)
    for part, info in sorted(parts.items()):
        if not part:
            continue
        claimed = float(info.get("claimed", 0))
        if info.get("state") == "creating" and now - claimed > STALE_CLAIM_SECONDS:
            error = "创建时中断，企业微信是否已建任务未知"
            await store.settle(task.id, part, "unknown", error=error)
        if info.get("state") == "new" and await store.claim(task.id, part, now):
            await _make_part(ctx, current, part, str(info["member"]), day)
    states = {info.get("state") for part, info in (await store.parts(task.id)).items() if part}
    if states & {"new", "creating"}:
        return current  # another process is making a part: it finishes the task
    await store.unstage(task.id)
    done = await store.move(current, "sent")
    if done is not None:
        await remind_members(ctx, done)
    return done


async def _make_part(
    ctx: HandlerContext, task: MassTask, part: str, member: str, day: date
) -> None:
    store = ctx.services.mass
    quota = quota_of(ctx)
    targets = await store.targets(task.id, part)
    kept, over, recent = await quota.reserve(targets, day, task.skip_recent)
    await store.left_out(task.id, "quota", over)
    await store.left_out(task.id, "recent", recent)
    if not kept:
        await store.settle(task.id, part, "empty")
        return
    try:
        text, attachments = await _content(ctx, task, member)
        answer = await ctx.wecom.external_contact.add_msg_template(
            sender=member,
            text=text or None,
            attachments=attachments or None,
            chat_type=task.chat_type,
            external_userid=None if task.groups else kept,
            chat_id_list=kept if task.groups else None,
            allow_select=task.mode == "select",
        )
    except WeComTransportError as exc:  # no answer: WeCom may have made it; never again
        await store.settle(task.id, part, "unknown", error=f"企业微信未应答：{exc.errmsg}"[:200])
        return
    except (WeComError, BlockedText) as exc:
        await quota.release(kept, day)
        reason = f"内容含敏感词：{exc}" if isinstance(exc, BlockedText) else _refusal(exc)
        await store.left_out(task.id, "refused", kept)
        await store.settle(task.id, part, "failed", error=reason[:200])
        return
    fail = [str(t) for t in answer.get("fail_list") or []]
    await quota.release(fail, day)
    await store.left_out(task.id, "wecom_refused", fail)
    await store.settle(
        task.id,
        part,
        "created",
        msgid=str(answer.get("msgid", "")),
        fail=len(fail),
        reached=len(kept) - len(fail),
        day=day.isoformat(),
    )


def _refusal(exc: Exception) -> str:
    if isinstance(exc, WeComError):
        return f"企业微信拒绝（{exc.errcode}）：{exc.explanation or exc.errmsg}"
    return str(exc)


async def _content(
    ctx: HandlerContext, task: MassTask, member: str
) -> tuple[str, list[Attachment]]:
    """The text as this member sends it, checked for blocked words, and the attachments as
    WeCom takes them."""
    variables = {
        "staff_name": await ctx.services.names.directory.name(member),
        "date": corp_date(time.time()).isoformat(),
    }
    text = render_or_plain(task.text, variables, f"mass task {task.id}") if task.text else ""
    if text:
        text = ctx.text.outgoing(text)
    services = ctx.services
    attachments = await materialize(
        list(task.attachments), services.media, services.products, services.group_codes
    )
    return text, attachments


async def remind_members(ctx: HandlerContext, task: MassTask) -> None:
    """Tell each member with a made part how many recipients wait for them (one message each)."""
    reach: Counter[str] = Counter()
    for part, info in (await ctx.services.mass.parts(task.id)).items():
        if part and info.get("state") == "created":
            reach[str(info["member"])] += int(info.get("reached", 0))
    who = "个客户群" if task.groups else "位客户"
    for member, count in sorted(reach.items()):
        # a text, not a card: members confirm in WeCom's own 群发助手, which no link opens
        text = (
            f"群发任务「{task.name}」待您发送：共 {count} {who}。"
            "请在企业微信「工作台 → 客户联系 → 群发助手」确认发送。"
        )
        try:
            await ctx.wecom.message.send_text([member], text)
        except WeComError as exc:
            log.warning("mass task %s: reminder to %s not sent: %s", task.id, member, exc)


__all__ = ["Pick", "Preview", "make", "preview", "remind_members"]
