"""Counting what happened, exactly once per event, into per-day hashes.

Every count of one event goes through one Lua script together with the event's seen mark, so a
handler the pipeline runs again (after a crash, a timeout or a take-over) counts nothing twice.

Retention needs the day each (staff, customer) relation began: `stats_relations` keeps it until
the relation ends. A loss then counts against the cohort of that day, under "lost_after:<n>"
(n = days between the add and the loss), which keeps every event O(1) and lets the reader work
out "still connected k days later" from a handful of fields.

The pipeline runs events concurrently and retries failures later, so a loss may be counted
before its add. It then leaves a short-lived note (`stats_ended`); the add, finding a note
newer than itself, settles the cohort and the channel's loss instead of opening the relation.
Each change is planned from what Redis held a moment before and the script applies it only if
that is still so; otherwise it is planned again.
"""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis

from bot.clock import corp_date
from bot.keys import RedisKeys
from bot.stats.script import Change, Count, apply

MAX_COHORT_DAYS = 30  # the longest retention reported; later losses leave cohorts alone
PLAN_ATTEMPTS = 5  # each retry means another event of the same relation just landed

NEW = "new"
LOST_BY = {"customer": "lost_customer", "staff": "lost_staff"}
TRANSFERRED = "transferred"
GROUP_JOIN = "group_join"
GROUP_LEAVE = "group_leave"
SOP = {"sent": "sop_sent", "completed": "sop_completed"}
LOSSES = frozenset(LOST_BY.values())

Plan = Callable[[str, str], Change]  # (relation as read, ended note as read) -> the change


def field_of(who: str, metric: str) -> str:
    return f"{who}|{metric}"


def lost_after(days: int) -> str:
    return f"lost_after:{days}"


def _pair(value: str) -> tuple[int, str]:
    """(unix time, rest) of "<time>|<rest>"; (-1, "") for nothing or something unreadable."""
    at, _, rest = value.partition("|")
    return (int(at), rest) if at.isdigit() else (-1, "")


class StatsRecorder:
    """Writes the counts of one corp; each method returns False for an event seen before."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    def _counts(self, at: int, metric: str, staff: str, channel: str) -> list[Count]:
        day = corp_date(at).isoformat()
        counts = [Count(self._keys.stats_day(day), metric)]
        if staff:
            counts.append(Count(self._keys.stats_staff(day), field_of(staff, metric)))
        if channel:
            counts.append(Count(self._keys.stats_channel(day), field_of(channel, metric)))
        return counts

    def _cohort(self, added: int, ended: int, staff: str, channel: str) -> list[Count]:
        """The loss counted against the day the relation began, if within the window."""
        after = max(0, corp_date(ended).toordinal() - corp_date(added).toordinal())
        if after > MAX_COHORT_DAYS:
            return []
        day, name = corp_date(added).isoformat(), lost_after(after)
        counts = [
            Count(self._keys.stats_day(day), name),
            Count(self._keys.stats_staff(day), field_of(staff, name)),
        ]
        if channel:
            counts.append(Count(self._keys.stats_channel(day), field_of(channel, name)))
        return counts

    async def added(self, mark: str, staff: str, customer: str, channel: str, at: int) -> bool:
        """A customer added a staff member, through `channel` ("" for none)."""

        def plan(relation: str, note: str) -> Change:
            counts = self._counts(at, NEW, staff, channel)
            ended, metric = _pair(note)
            if ended < at:  # no end known, or one of an earlier relation of the pair
                return Change(counts, relation=f"{at}|{channel}", note="" if note else None)
            # its end was counted first: only the channel and the cohort are still owed
            if channel:
                day = corp_date(ended).isoformat()
                counts.append(Count(self._keys.stats_channel(day), field_of(channel, metric)))
            if metric in LOSSES:
                counts += self._cohort(at, ended, staff, channel)
            return Change(counts, note="")

        return await self._change(mark, staff, customer, plan)

    async def lost(self, mark: str, staff: str, customer: str, by: str, at: int) -> bool:
        """The relation ended: deleted by the customer or by the staff member (`by`)."""
        return await self._ended(mark, staff, customer, LOST_BY[by], at)

    async def transferred(self, mark: str, staff: str, customer: str, at: int) -> bool:
        """The customer moved to another staff member: the relation ends, nobody was lost."""
        return await self._ended(mark, staff, customer, TRANSFERRED, at)

    async def _ended(self, mark: str, staff: str, customer: str, metric: str, at: int) -> bool:
        def plan(relation: str, note: str) -> Change:
            added, channel = _pair(relation)
            if 0 <= added <= at:
                counts = self._counts(at, metric, staff, channel)
                if metric in LOSSES:
                    counts += self._cohort(added, at, staff, channel)
                return Change(counts, relation="")
            counts = self._counts(at, metric, staff, "")
            if added > at:  # the pair's next relation was already added: this end is older
                return Change(counts)
            return Change(counts, note=f"{at}|{metric}")  # for the add, when it comes

        return await self._change(mark, staff, customer, plan)

    async def _change(self, mark: str, staff: str, customer: str, plan: Plan) -> bool:
        field = f"{staff}|{customer}"
        note_key = self._keys.stats_ended(field)
        for _ in range(PLAN_ATTEMPTS):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hget(self._keys.stats_relations, field)
                pipe.get(note_key)
                relation, note = await pipe.execute()
            done = await apply(
                self._redis,
                self._keys,
                mark,
                plan(relation or "", note or ""),
                relation_field=field,
                read=(relation or "", note or ""),
                note_key=note_key,
            )
            if done is not None:
                return done
        raise RuntimeError(f"statistics of {field} kept changing; the pipeline will retry")

    async def group_changed(self, mark: str, joined: bool, members: int, at: int) -> bool:
        """Members joined (or left) a customer group."""
        metric = GROUP_JOIN if joined else GROUP_LEAVE
        day = corp_date(at).isoformat()
        change = Change([Count(self._keys.stats_day(day), metric, members)])
        return bool(await apply(self._redis, self._keys, mark, change))

    async def sop(self, mark: str, outcome: str, staff: str, at: int) -> bool:
        if outcome not in SOP:
            raise ValueError(f"SOP outcome must be one of {sorted(SOP)}, not {outcome!r}")
        change = Change(self._counts(at, SOP[outcome], staff, ""))
        return bool(await apply(self._redis, self._keys, mark, change))


async def record_sop(
    redis: Redis, keys: RedisKeys, outcome: str, staff: str, at: int, *, mark: str = ""
) -> bool:
    """Count one SOP reminder `outcome` ("sent" or "completed") for `staff` on the day of `at`.

    Give `mark` (a stable id of the reminder and outcome) to count it once however often the
    caller retries; without it every call counts. Returns False when `mark` was counted before.
    """
    return await StatsRecorder(redis, keys).sop(mark, outcome, staff, at)
