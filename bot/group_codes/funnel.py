"""The guided-entry funnel (引导入群), per channel code and add day: customers added through the
channel, welcomed (the welcome sent), and joined a group through a group live code afterwards
(the code a channel's welcome carries, usually). A scan that did not end in an add is not seen:
WeCom reports adds, not scans, for its contact-way codes.

Joins count against the day the customer *added*, so one row follows one cohort through the
steps; a customer counts once however often they join."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.group_codes.stats import GroupCodeStats
from bot.keys import RedisKeys
from bot.names import Names
from bot.stats.report import day_range, read_stats
from bot.storage.topology import RedisClient
from bot.welcome.channels import STATE_PREFIX
from bot.welcome.store import WelcomeStore


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """One channel's cohort of one add day through the funnel's steps."""

    day: date
    channel: str
    name: str
    added: int
    welcomed: int
    joined: int

    @property
    def joined_share(self) -> float | None:
        return self.joined / self.added if self.added else None

    def as_dict(self) -> dict[str, object]:
        share = self.joined_share
        return {
            "day": self.day.isoformat(),
            "channel": self.channel,
            "name": self.name,
            "added": self.added,
            "welcomed": self.welcomed,
            "joined": self.joined,
            "joined_share": None if share is None else round(share, 4),
        }


async def funnel(
    redis: RedisClient,
    keys: RedisKeys,
    stats: GroupCodeStats,
    names: Names,
    days: int,
    today: date,
) -> list[FunnelRow]:
    """Rows for the last `days` add days (oldest first), for every channel with an add or a
    guided join that day."""
    added = {
        (row.day, row.who): (row.new, row.name)
        for row in await read_stats(redis, keys, days, "channel", today)
    }
    guided = await stats.guided_days(days, today)
    welcomes = WelcomeStore(redis, keys)
    rows = []
    for day in day_range(days, today):
        joined = {k: v for k, v in guided.get(day, {}).items() if "|" not in k}
        sent = await welcomes.daily(day.isoformat())
        channels = {who for (when, who) in added if when == day} | set(joined)
        for channel in sorted(channels):
            new, name = added.get((day, channel), (0, ""))
            state = STATE_PREFIX + channel
            rows.append(
                FunnelRow(
                    day,
                    channel,
                    name or await names.channel(state),
                    new,
                    sent.get(f"channel:{state}:sent", 0),
                    joined.get(channel, 0),
                )
            )
    return rows
