"""SOP rules: validation, when steps fall due (offsets, quiet hours, off the busy minutes),
calendar occurrences, and what editing or pausing a rule does to steps not yet sent."""

from __future__ import annotations

from datetime import datetime

import pytest
from redis.asyncio import Redis

from bot.clock import CORP_TIME
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sop.jobs import fire_id, step_id
from bot.sop.rules import (
    Schedule,
    SopError,
    SopRule,
    SopStep,
    next_occurrence,
    off_peak,
    outside_quiet_hours,
    step_due,
    validate,
)
from bot.sop.store import SopStore


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=CORP_TIME).timestamp()


def shown(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, CORP_TIME).strftime("%Y-%m-%d %H:%M")


def rule(*steps: SopStep, **extra: object) -> SopRule:
    return SopRule("r1", "新客关怀", list(steps) or [SopStep(text="你好")], **extra)  # type: ignore[arg-type]


def test_step_times() -> None:
    added = at("2026-11-23 15:20")
    three_days = SopStep(text="回访", days=3, at="10:15")
    assert shown(step_due(rule(), three_days, added, "j")) == "2026-11-26 10:15"
    # day 0 at 10:00 for a customer added in the afternoon: the next morning (off the :00)
    same_day = step_due(rule(), SopStep(text="x", at="10:00"), added, "j")
    assert shown(same_day)[:13] == "2026-11-24 10" and shown(same_day)[-2:] in (
        "01",
        "02",
        "03",
        "04",
    )
    two_hours = SopStep(text="x", hours=2, minutes=5)
    assert shown(step_due(rule(), two_hours, added, "j")) == "2026-11-23 17:25"


def test_off_peak_moves_the_busy_minutes_the_same_way_each_time() -> None:
    ten = at("2026-11-26 10:00")
    moved = {off_peak(ten, f"job{n}") - ten for n in range(50)}
    assert moved <= {60, 120, 180, 240} and len(moved) > 1  # spread, never on the minute
    assert off_peak(ten, "job7") == off_peak(ten, "job7")
    assert off_peak(at("2026-11-26 10:30"), "j") > at("2026-11-26 10:30")
    assert off_peak(at("2026-11-26 10:07"), "j") == at("2026-11-26 10:07")


def test_quiet_hours_over_midnight() -> None:
    quiet = rule(quiet_start="22:00", quiet_end="08:00")
    assert shown(outside_quiet_hours(quiet, at("2026-11-23 23:30"))) == "2026-11-24 08:00"
    assert shown(outside_quiet_hours(quiet, at("2026-11-24 06:00"))) == "2026-11-24 08:00"
    assert shown(outside_quiet_hours(quiet, at("2026-11-24 12:00"))) == "2026-11-24 12:00"
    lunch = rule(quiet_start="12:00", quiet_end="13:30")
    assert shown(outside_quiet_hours(lunch, at("2026-11-24 12:10"))) == "2026-11-24 13:30"


def test_calendar_occurrences() -> None:
    fridays = Schedule(time="18:00", weekdays=[5])
    # 2026-11-23 is a Monday
    assert shown(next_occurrence(fridays, at("2026-11-23 09:00")) or 0) == "2026-11-27 18:00"
    assert shown(next_occurrence(fridays, at("2026-11-27 18:00")) or 0) == "2026-12-04 18:00"
    holidays = Schedule(time="09:30", dates=["2026-12-25", "2027-01-01"])
    assert shown(next_occurrence(holidays, at("2026-12-25 10:00")) or 0) == "2027-01-01 09:30"
    assert (
        next_occurrence(Schedule(time="09:30", dates=["2020-01-01"]), at("2026-11-23 09:00"))
        is None
    )
    daily = Schedule(time="08:00")
    assert shown(next_occurrence(daily, at("2026-11-23 09:00")) or 0) == "2026-11-24 08:00"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "名称"),
        ({"kind": "crowd"}, "类型"),
        ({"trigger": "birthday"}, "触发方式"),
        ({"kind": "group", "trigger": "added"}, "群 SOP 只能按日程"),
        ({"kind": "group", "trigger": "schedule", "schedule": Schedule()}, "客户群"),
        ({"trigger": "tag", "tag": "VIP"}, "标签组/标签名"),
        ({"trigger": "schedule"}, "日程需要时间"),
        ({"trigger": "schedule", "schedule": Schedule(weekdays=[8])}, "星期"),
        ({"trigger": "schedule", "schedule": Schedule(), "staff": []}, "提醒哪些员工"),
        ({"quiet_start": "22:00"}, "免打扰"),
        ({"steps": []}, "步骤"),
        ({"steps": [SopStep(text="{{ price }}")]}, "未知变量"),
        ({"steps": [SopStep(text="")]}, "不能都为空"),
        ({"steps": [SopStep(text="x", at="25:00")]}, "HH:MM"),
        ({"steps": [SopStep(text="x", delivery="sms")]}, "发送方式"),
    ],
)
def test_bad_rules_are_named(changes: dict[str, object], message: str) -> None:
    bad = rule()
    for name, value in changes.items():
        setattr(bad, name, value)
    with pytest.raises(SopError, match=message):
        validate(bad, None)


async def test_editing_moves_unsent_steps_and_a_removed_step_goes(
    redis: Redis, settings: Settings
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    store = SopStore(redis, keys)
    two = [SopStep(text="一", days=1, at="10:10"), SopStep(text="二", days=3, at="10:10")]
    saved = await store.save(rule(*two), "admin1", None)
    added = at("2026-11-23 15:00")
    first, second = (step_id("r1", i, "zhangsan", f"wm{i}", added) for i in (0, 1))
    await store.scheduler.add({first: step_due(saved, two[0], added, first)})
    await store.scheduler.add({second: step_due(saved, two[1], added, second)})
    # the admin moves step 1 to 11:10 and drops step 2
    edited = await store.save(rule(SopStep(text="一", days=1, at="11:10")), "admin1", None)
    assert edited.version == 2 and edited.updated_by == "admin1"
    assert shown(float(await redis.zscore(keys.jobs_due, first) or 0)) == "2026-11-24 11:10"
    assert await redis.zscore(keys.jobs_due, second) is None
    # a calendar rule keeps exactly one next occurrence, moved when the schedule changes
    weekly = rule(trigger="schedule", schedule=Schedule(time="18:10", weekdays=[5]), staff=["lisi"])
    weekly.id = "r2"
    await store.save(weekly, "admin1", None, now=at("2026-11-23 09:00"))
    assert await redis.zscore(keys.jobs_due, fire_id("r2", at("2026-11-27 18:10"))) is not None
    weekly.schedule = Schedule(time="18:10", weekdays=[6])
    await store.save(weekly, "admin1", None, now=at("2026-11-23 09:00"))
    fires = [j async for j, _ in store.scheduler.scheduled("sopfire|r2|*")]
    assert fires == [fire_id("r2", at("2026-11-28 18:10"))]
    await store.delete("r2")
    assert [j async for j, _ in store.scheduler.scheduled("sopfire|r2|*")] == []
    with pytest.raises(SopError, match="没有 SOP"):
        await store.set_enabled("r9", False, "admin1")
