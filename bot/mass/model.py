"""A mass-send task (群发任务) as operators define it, and the checks before it is saved.

One task is one message (text with variables rendered per member, up to 9 attachments) for an
audience of customers or customer groups. The bot resolves the audience, splits it into WeCom
tasks (one or more per sending member) and creates them; each member then confirms their part
in the client (doc 92135). `mode` "unified" (企业统一群发) fixes the recipients; "select"
(自主群发, `allow_select`) lets the member change them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.attachments import WITH_GROUP_CODE, Attachment, check
from bot.clock import CORP_TIME
from bot.errors import UserError

CHAT_TYPES = ("single", "group")
MODES = ("unified", "select")
SKIPS = ("none", "day", "week")  # leave out who already got a mass message today / this week
STATUSES = ("scheduled", "paused", "creating", "sent", "done", "cancelled")
MAX_CUSTOMERS = 10_000  # recipients of one add_msg_template call (doc 92135)
MAX_GROUPS = 2_000
MAX_NAME = 30
MAX_TEXT = 4000  # characters (and bytes, checked with the template at save)
TEXT_VARIABLES = ("staff_name", "date")  # the text is one per member: no customer's name
MAX_ATTACHMENTS = 9
MAX_CRITERIA = 50  # tags, segments, channels, members or departments in one list
MAX_DAYS = 3650
TIME_FORMAT = "%Y-%m-%d %H:%M"
MODE_NAMES = {"unified": "统一群发", "select": "自主群发"}
STATUS_NAMES = {
    "scheduled": "待创建",
    "paused": "已暂停",
    "creating": "创建中",
    "sent": "待员工发送",
    "done": "已结束",
    "cancelled": "已取消",
}


class MassError(UserError, ValueError):
    """A task that can't be saved, or an action that can't be done now; in Chinese."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a task reaches. Customers: every condition given must hold (tags: all of
    `tags_all` and at least one of `tags_any`, each a tag id, name or "组/名"; RFM segments;
    the channel they came through; added within N days; followed by the listed members or
    departments). Groups: owned by the listed members (all members when none), and the name
    containing `group_name` when given."""

    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    added_within_days: int = 0
    staff: tuple[str, ...] = ()
    departments: tuple[int, ...] = ()
    group_name: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise MassError(f"受众里有不认识的条件：{'、'.join(sorted(unknown))[:60]}")
        lists = {k: tuple(_strings(data.get(k, ()), k)) for k in ("tags_all", "tags_any")}
        lists |= {k: tuple(_strings(data.get(k, ()), k)) for k in ("segments", "channels")}
        try:
            departments = tuple(int(d) for d in data.get("departments", ()))
            days = int(data.get("added_within_days", 0))
        except (TypeError, ValueError):
            raise MassError("部门应是数字编号，添加天数应是整数") from None
        return cls(
            **lists,
            added_within_days=days,
            staff=tuple(_strings(data.get("staff", ()), "staff")),
            departments=departments,
            group_name=str(data.get("group_name", "")),
        )


def _strings(value: Any, label: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise MassError(f"受众条件 {label} 应是文字列表")
    return [v.strip() for v in value if v.strip()]


@dataclass(frozen=True, slots=True)
class MassTask:
    """One mass-send task and where it stands (`status`, one of `STATUSES`)."""

    id: str
    name: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    chat_type: str = "single"
    audience: Audience = field(default_factory=Audience)
    mode: str = "unified"
    not_before: str = ""  # corp time "YYYY-MM-DD HH:MM": created from then; "" = at once
    skip_recent: str = "none"
    created_by: str = ""
    created_at: int = 0
    status: str = "scheduled"

    @property
    def groups(self) -> bool:
        return self.chat_type == "group"

    def start_at(self) -> int:
        return _when(self.not_before) if self.not_before else 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> MassTask:
        data = json.loads(raw)
        data["audience"] = Audience.from_dict(data["audience"])
        data["attachments"] = tuple(data.get("attachments", ()))
        return cls(**data)

    def with_status(self, status: str) -> MassTask:
        return replace(self, status=status)


USER_FIELDS = frozenset(
    {"name", "text", "attachments", "chat_type", "audience", "mode", "not_before", "skip_recent"}
)


def from_dict(data: dict[str, Any]) -> MassTask:
    """A new task from what an admin wrote (a JSON file, a form): unknown fields refused."""
    unknown = set(data) - USER_FIELDS
    if unknown:
        raise MassError(f"不认识的字段：{'、'.join(sorted(unknown))[:60]}")
    attachments = data.get("attachments", [])
    audience = data.get("audience", {})
    if not isinstance(attachments, list) or not isinstance(audience, dict):
        raise MassError("attachments 应是列表，audience 应是对象")
    texts = {k: data.get(k, d) for k, d in (("name", ""), ("text", ""), ("chat_type", "single"))}
    texts |= {k: data.get(k, d) for k, d in (("mode", "unified"), ("not_before", ""))}
    texts["skip_recent"] = data.get("skip_recent", "none")
    if not all(isinstance(v, str) for v in texts.values()):
        raise MassError("name、text、chat_type、mode、not_before、skip_recent 应是文字")
    return MassTask(
        id="",
        attachments=tuple(attachments),
        audience=Audience.from_dict(audience),
        **texts,
    )


def _when(text: str) -> int:
    try:
        return int(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CORP_TIME).timestamp())
    except (TypeError, ValueError):
        raise MassError(
            f"开始时间应写作 YYYY-MM-DD HH:MM（北京时间），而不是「{str(text)[:20]}」"
        ) from None


def validate(task: MassTask) -> None:
    """Raise `MassError` naming the first problem, before anything is saved."""
    if not task.name.strip() or len(task.name) > MAX_NAME:
        raise MassError(f"任务名称需要 1–{MAX_NAME} 个字")
    if len(task.text) > MAX_TEXT:
        raise MassError(f"群发内容最多 {MAX_TEXT} 字，现在 {len(task.text)} 字")
    if not task.text.strip() and not task.attachments:
        raise MassError("群发内容和附件不能都为空")
    check("群发", list(task.attachments), MAX_ATTACHMENTS, WITH_GROUP_CODE)
    if task.chat_type not in CHAT_TYPES:
        raise MassError("发送对象应是 single（客户）或 group（客户群）")
    if task.mode not in MODES:
        raise MassError("方式应是 unified（统一群发）或 select（自主群发，员工可改接收人）")
    if task.skip_recent not in SKIPS:
        raise MassError("跳过应是 none、day（今天已收到群发的）或 week（本周已收到群发的）")
    task.start_at()
    _check_audience(task.audience, task.groups)


def _check_audience(audience: Audience, groups: bool) -> None:
    lists = (audience.tags_all, audience.tags_any, audience.segments, audience.channels)
    if any(len(values) > MAX_CRITERIA for values in (*lists, audience.staff)):
        raise MassError(f"每类受众条件最多 {MAX_CRITERIA} 项")
    if len(audience.departments) > MAX_CRITERIA:
        raise MassError(f"每类受众条件最多 {MAX_CRITERIA} 项")
    if any(len(value) > 64 for values in (*lists, audience.staff) for value in values):
        raise MassError("受众条件的每一项最多 64 个字")
    if not 0 <= audience.added_within_days <= MAX_DAYS:
        raise MassError(f"添加天数应在 0 到 {MAX_DAYS} 之间（0 表示不限）")
    if len(audience.group_name) > MAX_NAME:
        raise MassError(f"群名条件最多 {MAX_NAME} 个字")
    customer_only = (*lists, audience.added_within_days, audience.departments)
    if groups and any(customer_only):
        raise MassError("群发到客户群时，受众只按群主（员工）和群名筛选")
    if groups and not audience.staff:
        raise MassError("群发到客户群需要指定群主（员工）")
    if not groups and audience.group_name:
        raise MassError("群名条件只用于群发到客户群")
