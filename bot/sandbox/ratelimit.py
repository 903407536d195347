"""WeCom's base frequency limit (doc 90454): per corp and API, 10,000 calls a minute and
150,000 an hour; past either, calls answer 45009 until the window has room again."""

from __future__ import annotations

from collections import deque

PER_MINUTE = 10_000
PER_HOUR = 150_000


class ApiRateLimiter:
    """Sliding one-minute and one-hour windows of accepted calls, per API path."""

    def __init__(self, per_minute: int = PER_MINUTE, per_hour: int = PER_HOUR) -> None:
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._windows: dict[str, tuple[deque[float], deque[float]]] = {}

    def allow(self, path: str, now: float) -> bool:
        """Count one call of `path` at `now`, or refuse it (refused calls are not counted)."""
        minute, hour = self._windows.setdefault(path, (deque(), deque()))
        while minute and now - minute[0] >= 60:
            minute.popleft()
        while hour and now - hour[0] >= 3600:
            hour.popleft()
        if len(minute) >= self.per_minute or len(hour) >= self.per_hour:
            return False
        minute.append(now)
        hour.append(now)
        return True

    def clear(self) -> None:
        self._windows.clear()
