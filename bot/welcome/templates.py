"""Welcome templates: what a new customer receives, chosen by channel, staff member or default.

A template's text is operator-written Jinja2, rendered in the sandboxed environment with a fixed
set of variables; nothing an admin types is evaluated as code. Time slots (weekdays, a
time-of-day range, a date range) pick a different text and attachments when they match; the
first matching slot wins, the template's own text is the fallback. Every text is checked when
saved: WeCom's byte limits, at most 9 attachments, template syntax, the sensitive-word filter.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any

from bot.attachments import WITH_GROUP_CODE, AttachmentError
from bot.attachments import check as check_attachments
from bot.errors import UserError
from bot.templating import text_problem, uses_name
from bot.text.guard import TextGuard
from bot.wecom.limits import MAX_WELCOME_ATTACHMENTS as MAX_ATTACHMENTS
from bot.wecom.limits import WELCOME_TEXT_BYTES as MAX_TEXT_BYTES

VARIABLES = ("customer_name", "staff_name", "channel_name", "date")
SCOPES = ("default", "channel", "staff", "department")
SCOPE_NAMES = {"default": "默认", "channel": "渠道", "staff": "员工", "department": "部门"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TemplateError(UserError, ValueError):
    """A template that can't be saved; the message says why, in Chinese, for the admin."""


@dataclass
class TimeSlot:
    """When this slot applies (all given conditions must hold) and what it sends then."""

    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    weekdays: list[int] = field(default_factory=list)  # 1 = Monday … 7 = Sunday; empty = any
    start: str = ""  # "HH:MM", with `end`; a range past midnight wraps (22:00-06:00)
    end: str = ""
    date_from: str = ""  # "YYYY-MM-DD", inclusive; for campaigns
    date_to: str = ""
    text_without_name: str = ""

    def matches(self, now: datetime) -> bool:
        if self.weekdays and now.isoweekday() not in self.weekdays:
            return False
        today = now.date()
        if self.date_from and today < date.fromisoformat(self.date_from):
            return False
        if self.date_to and today > date.fromisoformat(self.date_to):
            return False
        if self.start and self.end:
            start, end, moment = (
                time.fromisoformat(self.start),
                time.fromisoformat(self.end),
                now.time(),
            )
            inside = start <= moment < end if start <= end else (moment >= start or moment < end)
            if not inside:
                return False
        return True


@dataclass
class WelcomeTemplate:
    """A welcome for one scope: `default`, `channel` (a State), `staff` or `department` (an id)."""

    id: str
    name: str
    scope: str
    target: str
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    text_without_name: str = ""  # sent when the customer's name can't be had in time
    slots: list[TimeSlot] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> WelcomeTemplate:
        raw = json.loads(data)
        raw["slots"] = [TimeSlot(**slot) for slot in raw.get("slots", [])]
        return cls(**raw)

    def content_for(self, now: datetime) -> tuple[str, str, list[dict[str, Any]]]:
        """(text, text without the name, attachments) of the first matching slot, else the base.
        A slot inherits what it does not set: a campaign slot that only changes the text keeps
        the template's product cards, one that only adds a poster keeps its text."""
        for slot in self.slots:
            if slot.matches(now):
                if slot.text.strip():
                    text, without_name = slot.text, slot.text_without_name
                else:
                    text, without_name = self.text, self.text_without_name
                return text, without_name, slot.attachments or self.attachments
        return self.text, self.text_without_name, self.attachments


def scope_label(template: WelcomeTemplate) -> str:
    """Where a template applies, in words: 默认, 渠道 spring, 员工 zhangsan…"""
    name = SCOPE_NAMES.get(template.scope, template.scope)
    return f"{name} {template.target}" if template.target else name


def validate(template: WelcomeTemplate, guard: TextGuard | None) -> None:
    """Raise `TemplateError` naming the first problem; checks every slot as well."""
    if template.scope not in SCOPES:
        raise TemplateError(f"适用范围只能是 {'/'.join(SCOPES)}")
    if template.scope != "default" and not template.target:
        raise TemplateError("渠道、员工或部门模板需要指定渠道 state、员工账号或部门 ID")
    if template.scope == "department" and not template.target.isdigit():
        raise TemplateError(f"部门 ID 应是数字，而不是「{template.target}」")
    if not template.name.strip():
        raise TemplateError("模板需要一个名称")
    parts = [("模板", template.text, template.text_without_name, template.attachments)]
    parts += [
        (f"第 {n} 个时段", s.text, s.text_without_name, s.attachments)
        for n, s in enumerate(template.slots, 1)
    ]
    for where, text, fallback, attachments in parts:
        _check_text(where, text, fallback, attachments, guard)
    for n, slot in enumerate(template.slots, 1):
        check_slot(n, slot)


def _check_text(
    where: str, text: str, fallback: str, attachments: list[dict[str, Any]], guard: TextGuard | None
) -> None:
    if not text.strip() and not attachments:
        raise TemplateError(f"{where}：文字和附件不能都为空")
    for label, body in (("文字", text), ("不含姓名的文字", fallback)):
        problem = text_problem(body, VARIABLES, MAX_TEXT_BYTES, guard)
        if problem:
            raise TemplateError(f"{where}{label}{problem}")
    if uses_name(text) and not fallback.strip():
        raise TemplateError(
            f"{where}用了 {{{{ customer_name }}}}，请同时提供不含姓名的版本（取不到姓名时发送）"
        )
    try:
        check_attachments(where, attachments, MAX_ATTACHMENTS, WITH_GROUP_CODE)
    except AttachmentError as exc:
        raise TemplateError(str(exc)) from None


def check_slot(n: int, slot: TimeSlot) -> None:
    """Refuse a slot with impossible weekdays, times or dates (n: its number, for the message)."""
    if any(day not in range(1, 8) for day in slot.weekdays):
        raise TemplateError(f"第 {n} 个时段：星期只能是 1（周一）到 7（周日）")
    if bool(slot.start) != bool(slot.end):
        raise TemplateError(f"第 {n} 个时段：开始和结束时间要同时给出")
    for value in (slot.start, slot.end):
        if value and not _TIME.match(value):
            raise TemplateError(f"第 {n} 个时段：时间「{value}」应为 HH:MM")
    for value in (slot.date_from, slot.date_to):
        try:
            if value:
                date.fromisoformat(value)
        except ValueError:
            raise TemplateError(f"第 {n} 个时段：日期「{value}」应为 YYYY-MM-DD") from None
