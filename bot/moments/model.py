"""A moments task (企业发表到客户朋友圈) as admins define it, and the checks before it is saved.

One post — text of at most 2,000 characters with up to 9 images, or one video, or one link —
that the listed members (and departments' members) are asked to publish; customers with the
listed corp tags can see it (no tags: all of each member's customers). WeCom makes the task
asynchronously (a job), then each member publishes in their client (docs 95094, 93333).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.errors import UserError

MAX_TEXT = 2000
MAX_IMAGES = 9
MAX_NAME = 30
MAX_MEMBERS = 10_000
MAX_TAGS = 100
STATUSES = ("new", "creating", "created", "done", "failed", "unknown", "cancelled")
STATUS_NAMES = {
    "new": "待创建",
    "creating": "创建中",
    "created": "待员工发表",
    "done": "已结束",
    "failed": "创建失败",
    "unknown": "结果未知（未重试）",
    "cancelled": "已取消",
}


class MomentError(UserError, ValueError):
    """A moments task that can't be saved or changed now; in Chinese."""


@dataclass(frozen=True, slots=True)
class MomentTask:
    """One moments task and where it stands: made in WeCom (`jobid`, then `moment_id`)."""

    id: str
    name: str
    text: str = ""
    images: tuple[str, ...] = ()  # media library refs
    video: str = ""  # a media library ref
    link_title: str = ""
    link_url: str = ""
    staff: tuple[str, ...] = ()
    departments: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()  # corp tag ids of the customers who may see it
    created_by: str = ""
    created_at: int = 0
    status: str = "new"
    jobid: str = ""
    moment_id: str = ""
    error: str = ""
    invalid: dict[str, list[Any]] = field(default_factory=dict)  # senders / tags WeCom refused

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> MomentTask:
        data = json.loads(raw)
        for name in ("images", "staff", "departments", "tags"):
            data[name] = tuple(data.get(name, ()))
        return cls(**data)

    def moved(self, status: str, **changes: Any) -> MomentTask:
        return replace(self, status=status, **changes)


def validate(task: MomentTask) -> None:
    """Raise `MomentError` naming the first problem, before anything is saved."""
    if not task.name.strip() or len(task.name) > MAX_NAME:
        raise MomentError(f"任务名称需要 1–{MAX_NAME} 个字")
    if len(task.text) > MAX_TEXT:
        raise MomentError(f"朋友圈文字最多 {MAX_TEXT} 字，现在 {len(task.text)} 字")
    kinds = sum(bool(x) for x in (task.images, task.video, task.link_url))
    if kinds > 1:
        raise MomentError("附件只能是图片（最多 9 张）、一个视频或一个链接中的一种")
    if len(task.images) > MAX_IMAGES:
        raise MomentError(f"图片最多 {MAX_IMAGES} 张")
    if not task.text.strip() and not kinds:
        raise MomentError("文字和附件不能都为空")
    if task.link_url and not task.link_url.startswith("https://"):
        raise MomentError("链接需要以 https:// 开头")
    if task.link_url and not task.link_title.strip():
        raise MomentError("链接需要标题")
    if not task.staff and not task.departments:
        raise MomentError("需要发表的员工或部门")
    if len(task.staff) > MAX_MEMBERS or len(task.tags) > MAX_TAGS:
        raise MomentError(f"员工最多 {MAX_MEMBERS} 位，客户标签最多 {MAX_TAGS} 个")
