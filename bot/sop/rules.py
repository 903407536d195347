"""SOP rules: what to remind staff of, for whom, and when.

A customer SOP starts for one (staff member, customer) relation when its trigger fires — the
customer was added (optionally through given channel codes), a tag was added, an RFM segment
entered — and runs its ordered steps at offsets from that moment: "day 3 at 10:00", or "2 hours
after". A group SOP (or a customer SOP on a calendar) starts on a schedule — every Friday
18:00, or on listed dates such as holidays — for the listed groups' owners (or the listed staff).
Each step carries text (Jinja2, sandboxed: customer_name, staff_name, date) and attachments,
checked when saved, and is delivered as a reminder to the staff member or as a mass-message
task they confirm. Quiet hours push a step to their end; steps never go out on the minute or
half hour, WeCom's busiest moments.
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.attachments import WITH_GROUP_CODE, AttachmentError, check
from bot.clock import CORP_TIME
from bot.errors import UserError
from bot.templating import text_problem
from bot.text.guard import TextGuard

KINDS = ("customer", "group")
TRIGGERS = ("added", "tag", "segment", "schedule")
DELIVERIES = ("reminder", "mass")
TRIGGER_NAMES = {
    "added": "添加客户后",
    "tag": "打上标签后",
    "segment": "进入分层后",
    "schedule": "定时",
}
VARIABLES = ("customer_name", "staff_name", "date")
MAX_STEPS = 20
MAX_TEXT_BYTES = 4000
MAX_ATTACHMENTS = 9
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SopError(UserError, ValueError):
    """A rule that can't be saved; the message says why, in Chinese."""


@dataclass
class SopStep:
    """One step: its content and when it goes out, counted from the trigger."""

    text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    days: int = 0  # days after the trigger…
    at: str = ""  # …at this corp time ("HH:MM"); empty: `hours`/`minutes` after the trigger
    hours: int = 0
    minutes: int = 0
    delivery: str = "reminder"  # reminder: app message to staff; mass: 群发 task to confirm


@dataclass
class Schedule:
    """When a calendar SOP fires: at `time` on the listed weekdays (1 = Monday) or dates."""

    time: str = "10:00"
    weekdays: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)  # "2026-12-25"; with weekdays: both


@dataclass
class SopRule:
    """A customer or group SOP."""

    id: str
    name: str
    steps: list[SopStep]
    kind: str = "customer"
    trigger: str = "added"
    channels: list[str] = field(default_factory=list)  # added: only through these channels
    tag: str = ""  # trigger "tag": "group/name"
    segment: str = ""  # trigger "segment": an RFM segment name
    schedule: Schedule | None = None  # trigger "schedule"
    staff: list[str] = field(default_factory=list)  # audience; empty = everyone
    departments: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # customer must have one ("group/name")
    groups: list[str] = field(default_factory=list)  # group SOP: chat ids
    quiet_start: str = ""  # "22:00"
    quiet_end: str = ""  # "08:00"
    enabled: bool = True
    version: int = 0
    updated_at: int = 0
    updated_by: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SopRule:
        data = dict(raw)
        data["steps"] = [SopStep(**s) for s in data.get("steps", [])]
        if data.get("schedule") is not None:
            data["schedule"] = Schedule(**data["schedule"])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> SopRule:
        return cls.from_dict(json.loads(text))


def new_rule_id() -> str:
    return secrets.token_hex(4)


def validate(rule: SopRule, guard: TextGuard | None) -> None:
    """Raise `SopError` naming the first problem."""
    if rule.id and not _ID.match(rule.id):
        raise SopError("SOP 编号只能由 1–32 个字母、数字、- 或 _ 组成")
    if not rule.name.strip() or len(rule.name) > 50:
        raise SopError("SOP 需要名称，且不超过 50 个字")
    if rule.kind not in KINDS:
        raise SopError("类型只能是 customer（客户 SOP）或 group（群 SOP）")
    if rule.trigger not in TRIGGERS:
        raise SopError(f"触发方式只能是 {'/'.join(TRIGGERS)}")
    if rule.kind == "group" and rule.trigger != "schedule":
        raise SopError("群 SOP 只能按日程触发（schedule）")
    if rule.kind == "group" and not rule.groups:
        raise SopError("群 SOP 需要列出客户群（groups）")
    if rule.trigger == "tag" and "/" not in rule.tag:
        raise SopError("按标签触发需要标签，写作 标签组/标签名")
    if rule.trigger == "segment" and not rule.segment:
        raise SopError("按 RFM 分层触发需要分层名称")
    if rule.trigger == "schedule":
        _check_schedule(rule.schedule)
        if rule.kind == "customer" and not rule.staff:
            raise SopError("按日程的客户 SOP 需要列出提醒哪些员工（staff）")
    if bool(rule.quiet_start) != bool(rule.quiet_end) or not all(
        _HHMM.match(t) for t in (rule.quiet_start, rule.quiet_end) if t
    ):
        raise SopError("免打扰时段需要开始和结束时间，格式 HH:MM")
    if not 1 <= len(rule.steps) <= MAX_STEPS:
        raise SopError(f"SOP 需要 1–{MAX_STEPS} 个步骤")
    for n, step in enumerate(rule.steps, 1):
        _check_step(n, step, guard)


def _check_schedule(schedule: Schedule | None) -> None:
    if schedule is None or not _HHMM.match(schedule.time):
        raise SopError("日程需要时间，格式 HH:MM")
    if any(d not in range(1, 8) for d in schedule.weekdays):
        raise SopError("星期只能是 1–7（1 为周一）")
    for day in schedule.dates:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise SopError(f"日期 {day!r} 无效，格式 2026-12-25") from None


def _check_step(n: int, step: SopStep, guard: TextGuard | None) -> None:
    where = f"第 {n} 步"
    if step.delivery not in DELIVERIES:
        raise SopError(f"{where}的发送方式只能是 reminder（提醒员工）或 mass（群发任务）")
    if not 0 <= step.days <= 366 or not 0 <= step.hours <= 23 * 24 or not step.minutes >= 0:
        raise SopError(f"{where}的时间偏移无效")
    if step.at and not _HHMM.match(step.at):
        raise SopError(f"{where}的时间应为 HH:MM")
    if not step.text.strip() and not step.attachments:
        raise SopError(f"{where}的文字和附件不能都为空")
    problem = text_problem(step.text, VARIABLES, MAX_TEXT_BYTES, guard)
    if problem:
        raise SopError(f"{where}内容{problem}")
    try:
        check(where, step.attachments, MAX_ATTACHMENTS, WITH_GROUP_CODE)
    except AttachmentError as exc:
        raise SopError(str(exc)) from None


def _clock(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def step_due(rule: SopRule, step: SopStep, trigger_at: float, job_id: str) -> float:
    """When `step` of a rule triggered at `trigger_at` goes out (unix seconds)."""
    start = datetime.fromtimestamp(trigger_at, CORP_TIME)
    if step.at:
        moment = datetime.combine(start.date() + timedelta(days=step.days), _clock(step.at))
        due = moment.replace(tzinfo=CORP_TIME)
        if due < start:  # "day 0 at 10:00" for a customer added at 15:00: the next day
            due += timedelta(days=1)
    else:
        due = start + timedelta(days=step.days, hours=step.hours, minutes=step.minutes)
    return outside_quiet_hours(rule, off_peak(due.timestamp(), job_id))


def off_peak(at: float, job_id: str) -> float:
    """Move a time on the minute :00 or :30 by 1–4 minutes (the same for a job every time),
    so thousands of "10:00" reminders don't land on WeCom's busiest minute."""
    moment = datetime.fromtimestamp(at, CORP_TIME)
    if moment.minute % 30 != 0:
        return at
    return at + 60 * (1 + zlib.crc32(job_id.encode()) % 4)


def outside_quiet_hours(rule: SopRule, at: float) -> float:
    """`at`, or the end of the rule's quiet hours when `at` falls inside them."""
    if not rule.quiet_start:
        return at
    moment = datetime.fromtimestamp(at, CORP_TIME)
    start, end = _clock(rule.quiet_start), _clock(rule.quiet_end)
    now = moment.time()
    quiet = start <= now < end if start < end else (now >= start or now < end)
    if not quiet:
        return at
    wake = datetime.combine(moment.date(), end, CORP_TIME)
    if wake <= moment:  # quiet hours over midnight, and we are before midnight
        wake += timedelta(days=1)
    return wake.timestamp()


def next_occurrence(schedule: Schedule, after: float) -> float | None:
    """The first scheduled moment strictly after `after`, within a year; None if none."""
    moment = datetime.fromtimestamp(after, CORP_TIME)
    at = _clock(schedule.time)
    dates = {date.fromisoformat(d) for d in schedule.dates}
    every_day = not schedule.weekdays and not dates
    for offset in range(0, 367):
        day = moment.date() + timedelta(days=offset)
        if every_day or day.isoweekday() in schedule.weekdays or day in dates:
            candidate = datetime.combine(day, at, CORP_TIME)
            if candidate > moment:
                return candidate.timestamp()
    return None
