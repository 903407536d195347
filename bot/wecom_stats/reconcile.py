"""Our counts beside WeCom's, day by day: new customers we recorded (from the add callbacks)
against WeCom's `new_contact_cnt` for the same members and day. A day where they differ by more
than the threshold is flagged: a missed callback (or one WeCom never sent) shows up there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.context import HandlerContext
from bot.stats.report import read_stats
from bot.wecom_stats.pull import WeComStatsStore

DEFAULT_THRESHOLD = 0.05  # a share of WeCom's figure …
MIN_GAP = 2  # … and never less than this many customers


@dataclass(frozen=True)
class DayCheck:
    """One day: our new customers, WeCom's, and per member where they differ."""

    day: date
    ours: int
    wecom: int
    members: dict[str, tuple[int, int]] = field(default_factory=dict)  # member -> (ours, wecom)
    flagged: bool = False
    wecom_figures: dict[str, int] = field(default_factory=dict)  # chats, messages, deletions …
    groups: dict[str, int] = field(default_factory=dict)  # WeCom's customer-group figures

    @property
    def gap(self) -> int:
        return self.wecom - self.ours


def allowed_gap(wecom: int, threshold: float) -> int:
    return max(MIN_GAP, round(wecom * threshold))


async def reconcile(
    ctx: HandlerContext, last: date, days: int, threshold: float = DEFAULT_THRESHOLD
) -> list[DayCheck]:
    """Each of the `days` days up to `last`, newest first, for the days WeCom's figures exist."""
    corp = {row.day: row.new for row in await read_stats(ctx.redis, ctx.keys, days, None, last)}
    staff = await read_stats(ctx.redis, ctx.keys, days, "staff", last)
    ours_by: dict[tuple[date, str], int] = {(row.day, row.who): row.new for row in staff}
    store = WeComStatsStore(ctx.redis, ctx.keys)
    checks = []
    for n in range(days):
        day = last - timedelta(days=n)
        figures = await store.day(day)
        rows = {who: row for who, row in figures.items() if who != "groups"}
        if not rows:
            continue
        wecom = sum(int(r.get("new_contact_cnt", 0)) for r in rows.values())
        ours = corp.get(day, 0)
        members = {
            who: (ours_by.get((day, who), 0), int(row.get("new_contact_cnt", 0)))
            for who, row in rows.items()
            if ours_by.get((day, who), 0) != int(row.get("new_contact_cnt", 0))
        }
        totals = {
            name: sum(int(r.get(name, 0)) for r in rows.values())
            for name in ("chat_cnt", "message_cnt", "negative_feedback_cnt", "new_apply_cnt")
        }
        totals |= _replies(list(rows.values()))
        flagged = abs(wecom - ours) > allowed_gap(wecom, threshold)
        groups = {k: int(v) for k, v in figures.get("groups", {}).items() if _number(v)}
        checks.append(DayCheck(day, ours, wecom, members, flagged, totals, groups))
    return checks


def _replies(rows: list[dict[str, object]]) -> dict[str, int]:
    """The members' mean reply rate (%) and mean first-reply time (minutes), where WeCom gave
    them (it leaves them out for a member with no chat that day)."""
    out = {}
    for name in ("reply_percentage", "avg_reply_time"):
        values = [float(str(r[name])) for r in rows if _number(r.get(name))]
        if values:
            out[name] = round(sum(values) / len(values))
    return out


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
