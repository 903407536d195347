"""A fission activity's numbers and one participant's progress, as the CLI and console show them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.fission.model import Activity
from bot.fission.store import COUNTED, PENDING, FissionStore


async def activity_numbers(store: FissionStore, activity: Activity) -> dict[str, Any]:
    """Participants, invitees by status, completions, rewards issued (the cost), coupons left."""
    invitees = await store.invitees(activity.id)
    progress = await store.progress(activity.id)
    rewards = await store.rewards(activity.id)
    return {
        "participants": len(await store.participants(activity.id)),
        "invitees": dict(Counter(invitee.status for invitee in invitees)),
        "completed": sum(count >= activity.goal for count in progress.values()),
        "rewards_issued": len(rewards),
        "rewards_handed_over": sum(bool(r.get("msgid")) for r in rewards.values()),
        "coupons_left": await store.coupons_left(activity.id),
    }


async def progress_of(store: FissionStore, activity: Activity, participant: str) -> dict[str, Any]:
    """("我的进度") counted invitees, those still inside their stay window, the goal, the reward."""
    invitees = [i for i in await store.invitees(activity.id) if i.inviter == participant]
    counted = sum(i.status == COUNTED for i in invitees)
    waiting = sum(i.status == PENDING for i in invitees)
    reward = (await store.rewards(activity.id)).get(participant)
    return {"goal": activity.goal, "counted": counted, "waiting": waiting, "reward": reward}


def progress_text(activity: Activity, progress: dict[str, Any]) -> str:
    """The progress as the participant reads it."""
    counted, goal, waiting = progress["counted"], progress["goal"], progress["waiting"]
    line = f"「{activity.name}」：已成功邀请 {counted}/{goal} 位好友"
    if waiting:
        line += f"，另有 {waiting} 位好友需保留 {activity.hold_hours} 小时后计入"
    if progress["reward"]:
        return line + "。任务已完成，奖励已发放，请留意顾问发给您的消息。"
    return line + f"，还差 {max(goal - counted, 0)} 位。"
