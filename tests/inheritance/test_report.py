"""A hand-over's line shows its time in the corp's clock (China time), whatever the machine's."""

from __future__ import annotations

import os
import time

from bot.inheritance.report import line
from bot.inheritance.store import HandOver


def test_the_time_is_the_corp_s() -> None:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"  # a machine far from the corp
    time.tzset()
    try:
        handover = HandOver("h1", "resigned", "zhangsan", ("lisi",), "one", "", True, "admin", 0)
        assert line(handover)["at"] == "1970-01-01 08:00"
        assert line(handover)["kind"] == "离职继承"
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
