"""Times as senders give them: Unix seconds or milliseconds, or a date/time in corp time.

Shared by the signed ingest endpoints and the CSV imports, so every way in accepts the same forms
and refuses the same typos:

- a number (or, from a CSV cell, a string of digits): Unix seconds, or milliseconds when it is
  above `MS_THRESHOLD` (as chat archives and most order systems give them);
- an ISO date or date-time, `2026-11-01`, `2026-11-01 12:30`, `2026-11-01T12:30:00+08:00`, or
  the slash form Excel writes, `2026/11/1 12:30`; without a UTC offset it is corp time
  (Asia/Shanghai), since that is the clock the corp's own systems and spreadsheets use.

A time before `EARLIEST` or more than `FUTURE_SLACK` ahead of now is a typo, not a fact.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.clock import CORP_TIME
from bot.errors import UserError

MS_THRESHOLD = 10**11  # a number above this is in milliseconds (10**11 s is the year 5138)
EARLIEST = 1_262_304_000  # 2010-01-01: older times are typos
FUTURE_SLACK = 86_400  # a sender's clock may run ahead, but not by more than a day

_DIGITS = re.compile(r"\d{1,16}(\.\d+)?")
_SLASHED = ("%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


class TimeValueError(UserError, ValueError):
    """A time that can't be read or is out of range; the message (Chinese) says which."""


def plausible_seconds(value: float, now: float) -> int | None:
    """Unix seconds from seconds or milliseconds; None when not finite or not plausible."""
    # compared, never converted, first: float(10**400) overflows; NaN and infinities fail too
    if not -MS_THRESHOLD * 1000 < value < MS_THRESHOLD * 1000:
        return None
    seconds = int(value / 1000) if value > MS_THRESHOLD else int(value)
    return seconds if EARLIEST <= seconds <= now + FUTURE_SLACK else None


def _from_text(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for layout in _SLASHED:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def parse_time(value: Any, now: float, name: str) -> int:
    """Unix seconds of `value` (see the module docstring); `TimeValueError` names field `name`."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise TimeValueError(f"缺少 {name}")
        if _DIGITS.fullmatch(text):
            value = float(text)
        else:
            moment = _from_text(text)
            if moment is None:
                raise TimeValueError(
                    f"{name} 应为 Unix 时间（秒或毫秒）或日期时间，"
                    "如 2026-11-01 或 2026-11-01 12:30"
                )
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CORP_TIME)
            value = moment.timestamp()
    if value is None:
        raise TimeValueError(f"缺少 {name}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TimeValueError(f"{name} 应为 Unix 时间（秒或毫秒）或日期时间字符串")
    seconds = plausible_seconds(value, now)
    if seconds is None:
        raise TimeValueError(f"{name} 不在合理范围内（2010 年之后、不晚于明天）")
    return seconds
