"""The fission activities' periodic work, by one process a round:
- invitees whose stay window has ended and who are still there are counted for their inviter;
- a participant whose count reached the goal gets the reward, issued exactly once (a coupon
  taken from the pool in the same script; with the pool empty it waits for coupons), and the
  member who serves them gets it ready to send: a one-customer mass message to confirm, and an
  app message saying so;
- the personal codes of activities that have ended are deleted in WeCom.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.context import HandlerContext
from bot.fission.codes import retire
from bot.fission.model import Activity
from bot.fission.store import PENDING
from bot.periodic import PeriodicWork
from bot.text.guard import BlockedText
from bot.wecom import WeComError

ROUND_SECONDS = 60.0
RETIRE_AFTER = 86400  # personal codes go a day after the end (late scans still add)
log = logging.getLogger(__name__)


async def confirm_due(ctx: HandlerContext, now: float | None = None) -> int:
    """Count the invitees whose window ended; returns how many were counted."""
    store = ctx.services.fission
    counted = 0
    for activity_id, invitee in await store.due(time.time() if now is None else now):
        if await _gone(ctx, activity_id, invitee):
            continue  # a deletion handled before the add was recorded: undone now
        count, _inviter = await store.confirm(activity_id, invitee)
        counted += count > 0
    return counted


async def _gone(ctx: HandlerContext, activity_id: str, invitee: str) -> bool:
    """Whether the invitee's relation with the member they added has ended since (the
    profile knows: a deletion event may have been handled before the add's record was
    written, when it found nothing to undo)."""
    store = ctx.services.fission
    record = next(
        (i for i in await store.invitees(activity_id) if i.external_userid == invitee), None
    )
    if record is None or record.status != PENDING:
        return False
    follow = (await ctx.services.profiles.get(invitee)).follows.get(record.staff)
    if follow is None or not follow.deleted_by or follow.deleted_at < record.added_at:
        return False
    return await store.left(activity_id, invitee, record.staff)


async def settle_rewards(ctx: HandlerContext) -> int:
    """Issue and hand over the rewards of every participant at the goal; returns how many
    were issued now."""
    store = ctx.services.fission
    issued = 0
    for activity in await store.activities():
        rewards = await store.rewards(activity.id)
        for participant, count in (await store.progress(activity.id)).items():
            if count < activity.goal or rewards.get(participant, {}).get("msgid"):
                continue
            created, reward = await store.issue(activity, participant, _reward(activity))
            if created < 0:
                log.warning("fission %s: no coupon left for %s", activity.id, participant)
                continue
            issued += created
            if await store.claim(activity.id, participant, time.time()):
                await _hand_over(ctx, activity, participant, reward)
    return issued


def _reward(activity: Activity) -> dict[str, Any]:
    return {"kind": activity.reward, "issued_at": int(time.time())}


def reward_text(activity: Activity, reward: dict[str, Any]) -> str:
    """What the participant reads."""
    done = f"恭喜您完成「{activity.name}」邀请任务！"
    if activity.reward == "coupon":
        return f"{done}您的券码：{reward.get('coupon', '')}"
    if activity.reward == "link":
        return f"{done}{activity.reward_text or '奖励领取'}：{activity.reward_url}"
    return f"{done}{activity.reward_text}"


async def _hand_over(
    ctx: HandlerContext, activity: Activity, participant: str, reward: dict[str, Any]
) -> None:
    """A one-customer mass message from the member serving the participant (they confirm it
    in WeCom), and an app message telling them; by the one caller holding the hand-over claim.
    At least once: a crash between WeCom's answer and recording it hands the same reward over
    again once the claim lapses — never a second coupon."""
    staff = await _serving(ctx, activity, participant)
    try:
        text = ctx.text.outgoing(reward_text(activity, reward))
    except BlockedText as exc:  # blocked since the activity was saved: an operator must act
        log.error("fission %s: reward text blocked, not sent: %s", activity.id, exc)
        return
    try:
        answer = await ctx.wecom.external_contact.add_msg_template(
            sender=staff, text=text, external_userid=[participant]
        )
        name = await ctx.services.names.customer(participant, staff) or "客户"
        await ctx.wecom.message.send_text(
            [staff],
            f"【裂变奖励】{name} 完成了「{activity.name}」的邀请任务（{activity.goal} 位好友），"
            "奖励消息已生成，请在企业微信「客户群发」里确认发送。",
        )
    except WeComError as exc:  # the next round tries again (the reward itself is kept)
        log.warning("fission %s: reward of %s not handed over: %s", activity.id, participant, exc)
        return
    handed = {"msgid": str(answer.get("msgid", "")), "staff": staff}
    await ctx.services.fission.noted(activity.id, participant, reward | handed)


async def _serving(ctx: HandlerContext, activity: Activity, participant: str) -> str:
    """The member the participant last added (still connected), else the activity's first."""
    profile = await ctx.services.profiles.get(participant)
    connected = [f for f in profile.follows.values() if f.connected]
    if connected:
        return max(connected, key=lambda follow: follow.added_at).userid
    return activity.staff[0]


async def retire_ended(ctx: HandlerContext, now: float | None = None) -> int:
    at = time.time() if now is None else now
    retired = 0
    for activity in await ctx.services.fission.activities():
        if activity.window()[1] + RETIRE_AFTER <= at:
            retired += await retire(ctx.services.fission, activity, ctx.wecom)
    return retired


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    async def round_() -> int:
        counted = await confirm_due(ctx)
        issued = await settle_rewards(ctx)
        await retire_ended(ctx)
        return counted + issued

    return [PeriodicWork("fission", ROUND_SECONDS, round_, ctx.keys.fission_lock, lock_ttl=300)]
