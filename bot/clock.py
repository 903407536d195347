"""The corp's clock: Asia/Shanghai, whatever zone the server runs in.

Every date and time a person reads (replies, alerts, pages, reports) and every day-boundary the
bot counts by (time slots, daily limits, statistics, SOP schedules, digests) uses this clock. A
container usually runs in UTC, eight hours off: `time.localtime` or a naive `datetime.now()`
would put a 07:00 add on yesterday and show admins the wrong hour.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CORP_TIME = ZoneInfo("Asia/Shanghai")


def corp_now() -> datetime:
    return datetime.now(CORP_TIME)


def corp_clock(at: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A Unix time as people read it, in the corp's clock."""
    return datetime.fromtimestamp(at, CORP_TIME).strftime(fmt)


def corp_date(at: float) -> date:
    """The corp's calendar day of a Unix time."""
    return datetime.fromtimestamp(at, CORP_TIME).date()
