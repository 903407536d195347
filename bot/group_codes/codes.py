"""A group live code as the operator defines it, and the checks before WeCom sees it.

WeCom (doc 92229) keeps the code itself: its groups in order, whether a new group is created
when they are all full (`auto_create_room`: named `room_base_name` + a number counted from
`room_base_id`), and a `state` the join event carries back. Ours is `gc:<id>`, so a join is
attributed to the code.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from bot.errors import UserError

STATE_PREFIX = "gc:"
MAX_GROUPS = 5
MAX_NAME = 30  # sent as the code's remark: ≤30 characters
MAX_ROOM_NAME = 40
QR_GROUP_LIMIT = 200  # members a group takes through a QR join; then the next group fills


class GroupCodeError(UserError, ValueError):
    """A group live code that can't be saved; the message says why, in Chinese."""


@dataclass
class GroupCode:
    """One group live code: its groups in order and what happens when they are full."""

    id: str
    name: str
    chat_ids: list[str]
    auto_create: bool = True
    room_base_name: str = ""
    room_base_id: int = 1
    config_id: str = ""
    qr_code: str = ""

    @property
    def state(self) -> str:
        return STATE_PREFIX + self.id

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> GroupCode:
        return cls(**json.loads(data))

    def api_fields(self) -> dict[str, Any]:
        """The add/update_join_way fields of this code (scene 2: a QR code)."""
        return {
            "scene": 2,
            "remark": self.name,
            "auto_create_room": int(self.auto_create),
            "room_base_name": self.room_base_name if self.auto_create else None,
            "room_base_id": self.room_base_id if self.auto_create else None,
            "chat_id_list": list(self.chat_ids),
            "state": self.state,
        }


MAX_STATE = 30  # WeCom's limit on a join way's state
_ID = re.compile(r"[0-9A-Za-z_-]+")


def validate(code: GroupCode) -> None:
    """Raise `GroupCodeError` naming the first problem, before anything reaches WeCom."""
    if code.id and (not _ID.fullmatch(code.id) or len(code.state) > MAX_STATE):
        raise GroupCodeError(
            f"群活码编号「{code.id[:40]}」不可用：只能是字母、数字、_ 和 -，"
            f"且 state（{STATE_PREFIX}编号）不超过 {MAX_STATE} 个字符"
        )
    if not code.name.strip() or len(code.name) > MAX_NAME:
        raise GroupCodeError(f"群活码名称需要 1–{MAX_NAME} 个字")
    if not code.chat_ids:
        raise GroupCodeError("群活码至少需要一个客户群（群 ID，如 wrxxxx）")
    if len(code.chat_ids) > MAX_GROUPS:
        raise GroupCodeError(
            f"一个群活码最多 {MAX_GROUPS} 个客户群（企业微信限制），这里有 {len(code.chat_ids)} 个"
        )
    if len(set(code.chat_ids)) != len(code.chat_ids):
        raise GroupCodeError("客户群重复了")
    if code.auto_create:
        if not code.room_base_name.strip() or len(code.room_base_name) > MAX_ROOM_NAME:
            raise GroupCodeError(
                f"群满后自动建群需要新群名称前缀（1–{MAX_ROOM_NAME} 个字），"
                "或关闭自动建群（--no-auto-create）"
            )
        if code.room_base_id < 1:
            raise GroupCodeError("新群的起始编号应是正整数")
