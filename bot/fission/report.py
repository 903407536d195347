"""A fission activity's numbers and one participant's progress, as the CLI and console show them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import CORP_TIME
from bot.fission.model import Activity
from bot.fission.store import NOT_NEW, FissionStore
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.stats.report import MAX_DAYS, read_stats
from bot.storage.topology import RedisClient


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
    """("我的进度") counted invitees, those still inside their stay window, the goal, the reward
    — three fields read, whatever the activity's size (a customer's message asks for it)."""
    counted, waiting, reward = await store.standing(activity.id, participant)
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


RETENTION_DAYS = (7, 30)
READ_BATCH = 500


@dataclass(frozen=True, slots=True)
class Retention:
    """Of the adds at least `days` old: how many, and how many still connected `days` later."""

    days: int
    added: int
    kept: int

    @property
    def share(self) -> float | None:
        return self.kept / self.added if self.added else None


async def retention(
    store: FissionStore,
    profiles: ProfileStore,
    redis: RedisClient,
    keys: RedisKeys,
    activity: Activity,
    now: float,
) -> dict[str, list[Retention]]:
    """Invitees' retention against every other add of the same days (the corp's cohorts minus
    the invitees): for each of `RETENTION_DAYS`, of those added at least that long ago."""
    invitees = [i for i in await store.invitees(activity.id) if i.status != NOT_NEW]
    ours = {days: [0, 0] for days in RETENTION_DAYS}
    for start in range(0, len(invitees), READ_BATCH):
        batch = invitees[start : start + READ_BATCH]
        async with redis.pipeline(transaction=False) as pipe:
            for invitee in batch:
                await profiles.queue_read(pipe, invitee.external_userid)
            replies = await pipe.execute()
        for invitee, reply in zip(batch, replies, strict=True):
            follow = ProfileStore.parse_read(invitee.external_userid, reply).follows.get(
                invitee.staff
            )
            ended = follow.deleted_at if follow and follow.deleted_by else 0
            for days in RETENTION_DAYS:
                mark = invitee.added_at + days * 86400
                if mark <= now:
                    ours[days][0] += 1
                    ours[days][1] += not ended or ended > mark
    corp = await _corp_cohorts(redis, keys, activity, now)
    return {
        "invitees": [Retention(d, added, kept) for d, (added, kept) in ours.items()],
        "others": [
            Retention(d, max(corp[d][0] - ours[d][0], 0), max(corp[d][1] - ours[d][1], 0))
            for d in RETENTION_DAYS
        ],
    }


async def _corp_cohorts(
    redis: RedisClient, keys: RedisKeys, activity: Activity, now: float
) -> dict[int, tuple[int, int]]:
    """(added, kept) per k over the corp's add days inside the activity's window."""
    start, end = activity.window()
    today = datetime.fromtimestamp(now, CORP_TIME).date()
    first = datetime.fromtimestamp(start, CORP_TIME).date()
    last = datetime.fromtimestamp(min(end, int(now)), CORP_TIME).date()
    span = min(max((today - first).days + 1, 1), MAX_DAYS)
    totals = {days: (0, 0) for days in RETENTION_DAYS}
    for row in await read_stats(redis, keys, span, None, today):
        if first <= row.day <= last:
            for days in RETENTION_DAYS:
                added, kept = row.cohorts.get(days, (0, 0))
                totals[days] = (totals[days][0] + added, totals[days][1] + kept)
    return totals


def retention_view(found: dict[str, list[Retention]]) -> dict[str, dict[str, object]]:
    """{"7d": {"invitees": share, "invitees_added": n, "others": share, "others_added": n}, …}"""
    view: dict[str, dict[str, object]] = {}
    for ours, theirs in zip(found["invitees"], found["others"], strict=True):
        view[f"{ours.days}d"] = {
            "invitees": None if ours.share is None else round(ours.share, 4),
            "invitees_added": ours.added,
            "others": None if theirs.share is None else round(theirs.share, 4),
            "others_added": theirs.added,
        }
    return view
