"""Reading the statistics back: one row per day, for the corp or per staff member or channel.

Retention after k days is the share of the relations added on day D still connected at the end
of day D+k, i.e. not lost within k days; it is only known once day D+k is over, and is None
until then (and for a day without adds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from redis.asyncio import Redis

from bot.clock import corp_now
from bot.keys import RedisKeys
from bot.stats.recorder import (
    GROUP_JOIN,
    GROUP_LEAVE,
    LOST_BY,
    MAX_COHORT_DAYS,
    NEW,
    SOP,
    TRANSFERRED,
    lost_after,
)

RETENTION_DAYS = (1, 7, 30)
BY = ("staff", "channel")
MAX_DAYS = 400  # the day hashes' lifetime


@dataclass(frozen=True)
class StatsRow:
    """One day's figures for the corp (`who` empty) or for one staff member or channel.

    Figures not kept at that level are None: group joins are per corp only, SOP reminders per
    corp and staff member. `cohorts` maps k to (added, still connected after k days) for every
    k already known.
    """

    day: date
    who: str = ""
    name: str = ""
    new: int = 0
    lost_by_customer: int = 0
    lost_by_staff: int = 0
    transferred: int = 0
    group_joins: int | None = None
    group_leaves: int | None = None
    sop_sent: int | None = None
    sop_completed: int | None = None
    cohorts: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.lost_by_customer + self.lost_by_staff

    @property
    def net(self) -> int:
        return self.new - self.lost

    @property
    def group_net(self) -> int | None:
        if self.group_joins is None or self.group_leaves is None:
            return None
        return self.group_joins - self.group_leaves

    def retention(self, days: int) -> float | None:
        added, kept = self.cohorts.get(days, (0, 0))
        return kept / added if added else None

    def as_dict(self, by: str | None = None) -> dict[str, Any]:
        shown: dict[str, Any] = {"day": self.day.isoformat()}
        if by:
            shown |= {by: self.who, "name": self.name}
        shown |= {
            "new_customers": self.new,
            "lost_by_customer": self.lost_by_customer,
            "lost_by_staff": self.lost_by_staff,
            "transferred": self.transferred,
            "net": self.net,
        }
        for k in RETENTION_DAYS:
            share = self.retention(k)
            shown[f"retention_{k}d"] = None if share is None else round(share, 4)
        return shown | {
            "group_joins": self.group_joins,
            "group_leaves": self.group_leaves,
            "group_net": self.group_net,
            "sop_sent": self.sop_sent,
            "sop_completed": self.sop_completed,
        }


def _row(day: date, who: str, counts: dict[str, int], level: str, today: date) -> StatsRow:
    def count(name: str) -> int:
        return counts.get(name, 0)

    new = count(NEW)
    cohorts: dict[int, tuple[int, int]] = {}
    for k in RETENTION_DAYS:
        if new and day + timedelta(days=k) < today:
            lost = sum(count(lost_after(n)) for n in range(min(k, MAX_COHORT_DAYS) + 1))
            cohorts[k] = (new, max(0, new - lost))
    groups = level == "day"
    sop = level in ("day", "staff")
    return StatsRow(
        day=day,
        who=who,
        new=new,
        lost_by_customer=count(LOST_BY["customer"]),
        lost_by_staff=count(LOST_BY["staff"]),
        transferred=count(TRANSFERRED),
        group_joins=count(GROUP_JOIN) if groups else None,
        group_leaves=count(GROUP_LEAVE) if groups else None,
        sop_sent=count(SOP["sent"]) if sop else None,
        sop_completed=count(SOP["completed"]) if sop else None,
        cohorts=cohorts,
    )


def day_range(days: int, today: date) -> list[date]:
    """The last `days` days up to and including `today`, oldest first."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


async def read_stats(
    redis: Redis,
    keys: RedisKeys,
    days: int = 7,
    by: str | None = None,
    today: date | None = None,
) -> list[StatsRow]:
    """Rows for the last `days` days (oldest first): one per day for the corp, or one per day
    and staff member / channel with any figures when `by` is "staff" / "channel"."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}")
    if by is not None and by not in BY:
        raise ValueError(f"by must be one of {BY}")
    today = today or corp_now().date()
    dates = day_range(days, today)
    hash_of = {None: keys.stats_day, "staff": keys.stats_staff, "channel": keys.stats_channel}[by]
    async with redis.pipeline(transaction=False) as pipe:
        for day in dates:
            pipe.hgetall(hash_of(day.isoformat()))
        answers: list[dict[str, str]] = await pipe.execute()
    if by is None:
        return [
            _row(day, "", _ints(raw), "day", today) for day, raw in zip(dates, answers, strict=True)
        ]
    rows = [
        _row(day, who, counts, by, today)
        for day, raw in zip(dates, answers, strict=True)
        for who, counts in sorted(_split(raw).items())
    ]
    names = await _names(redis, keys, by, sorted({row.who for row in rows}))
    return [replace(row, name=names.get(row.who, "")) for row in rows]


def summarize(rows: list[StatsRow], who: str = "", name: str = "") -> StatsRow:
    """The figures of several rows added up (retention over every cohort already known)."""

    def total(values: list[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    cohorts: dict[int, tuple[int, int]] = {}
    for k in RETENTION_DAYS:
        known = [row.cohorts[k] for row in rows if k in row.cohorts]
        if known:
            cohorts[k] = (sum(a for a, _ in known), sum(kept for _, kept in known))
    return StatsRow(
        day=rows[-1].day if rows else corp_now().date(),
        who=who,
        name=name,
        new=sum(row.new for row in rows),
        lost_by_customer=sum(row.lost_by_customer for row in rows),
        lost_by_staff=sum(row.lost_by_staff for row in rows),
        transferred=sum(row.transferred for row in rows),
        group_joins=total([row.group_joins for row in rows]),
        group_leaves=total([row.group_leaves for row in rows]),
        sop_sent=total([row.sop_sent for row in rows]),
        sop_completed=total([row.sop_completed for row in rows]),
        cohorts=cohorts,
    )


def _ints(raw: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, value in raw.items():
        try:
            counts[name] = int(value)
        except ValueError:
            continue  # a damaged field reads as absent rather than breaking the report
    return counts


def _split(raw: dict[str, str]) -> dict[str, dict[str, int]]:
    """ "<who>|<metric>" fields by who (an id may itself hold "|"; a metric never does)."""
    by_who: dict[str, dict[str, str]] = {}
    for name, value in raw.items():
        who, sep, metric = name.rpartition("|")
        if sep:
            by_who.setdefault(who, {})[metric] = value
    return {who: _ints(fields) for who, fields in by_who.items()}


async def _names(redis: Redis, keys: RedisKeys, by: str, ids: list[str]) -> dict[str, str]:
    """Display names from what the bot already keeps (no WeCom call): the staff directory's
    cache, the channel list."""
    if not ids:
        return {}
    source = keys.staff_departments if by == "staff" else keys.channels
    names: dict[str, str] = {}
    for who, data in zip(ids, await redis.hmget(source, ids), strict=True):
        try:
            names[who] = str(json.loads(data).get("name") or "") if data else ""
        except (ValueError, AttributeError):
            names[who] = ""
    return names
