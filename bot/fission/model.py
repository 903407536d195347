"""A fission activity as operators define it, and the checks before it is saved.

A participant (a customer) gets a personal 联系我 code whose State names the activity and them
(`fx:<activity>:<participant>`, ≤ 30 characters): whoever adds a member through it is their
invitee. An invitee counts only if new to the corp, once, and only after staying `hold_hours`
(deleting the member inside that window undoes the count: the 羊毛党 rule). At `goal` counted
invitees the participant's reward is issued, exactly once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.clock import CORP_TIME
from bot.errors import UserError

STATE_PREFIX = "fx:"
REWARDS = ("link", "coupon", "message")
GOAL_KINDS = ("friends", "group")
MAX_GROUPS = 5  # a group live code's groups
MAX_NAME = 30
MAX_GOAL = 100
MAX_HOLD_HOURS = 30 * 24
MAX_STAFF = 100
MAX_TEXT = 500
MAX_COUPONS = 100_000  # in one upload
MAX_COUPON = 64  # characters of one code
TIME_FORMAT = "%Y-%m-%d %H:%M"


class FissionError(UserError, ValueError):
    """An activity that can't be saved, or a request that can't be met; in Chinese."""


@dataclass(slots=True)  # not frozen: a configuration import gives a new item its id
class Activity:
    """One fission activity: its window, goal, stay rule, reward and poster."""

    id: str
    name: str
    staff: list[str]  # the members a personal code adds (WeCom picks one)
    start: str  # corp time, "YYYY-MM-DD HH:MM"
    end: str
    goal: int = 3
    hold_hours: int = 24
    reward: str = "message"  # link / coupon / message
    reward_text: str = ""  # the message, or the link's title
    reward_url: str = ""
    poster_ref: str = ""  # the poster's background image (media library)
    poster_text: str = ""
    goal_kind: str = "friends"  # friends: new friends of a member; group: new group members
    chat_ids: list[str] = field(default_factory=list)  # the groups of a "group" goal (≤5)

    @property
    def in_groups(self) -> bool:
        return self.goal_kind == "group"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Activity:
        return cls(**json.loads(raw))

    def window(self) -> tuple[int, int]:
        """(start, end) as unix times."""
        return _when(self.start, "开始时间"), _when(self.end, "结束时间")

    def open_at(self, at: int) -> bool:
        start, end = self.window()
        return start <= at < end


def _when(text: str, label: str) -> int:
    try:
        return int(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CORP_TIME).timestamp())
    except (TypeError, ValueError):
        raise FissionError(
            f"{label}应写作 YYYY-MM-DD HH:MM（北京时间），而不是「{str(text)[:20]}」"
        ) from None


def participant_key(external_userid: str) -> str:
    """A participant's short id in States (their external userid is too long for 30 chars)."""
    return hashlib.sha256(external_userid.encode()).hexdigest()[:10]


def state_of(activity_id: str, external_userid: str) -> str:
    return f"{STATE_PREFIX}{activity_id}:{participant_key(external_userid)}"


def validate(activity: Activity) -> None:
    """Raise `FissionError` naming the first problem, before anything is saved."""
    if not activity.name.strip() or len(activity.name) > MAX_NAME:
        raise FissionError(f"活动名称需要 1–{MAX_NAME} 个字")
    start, end = activity.window()
    if end <= start:
        raise FissionError(f"结束时间 {activity.end} 应晚于开始时间 {activity.start}")
    if not 1 <= activity.goal <= MAX_GOAL:
        raise FissionError(f"邀请目标应是 1 到 {MAX_GOAL} 位好友")
    if not 0 <= activity.hold_hours <= MAX_HOLD_HOURS:
        raise FissionError(f"留存时长应在 0 到 {MAX_HOLD_HOURS} 小时之间")
    if not activity.staff or len(activity.staff) > MAX_STAFF:
        raise FissionError(f"需要 1–{MAX_STAFF} 名接待员工（好友扫个人码添加他们）")
    if not activity.poster_ref:
        raise FissionError("海报需要一张背景图片（先上传图片）")
    if len(activity.poster_text) > MAX_TEXT or len(activity.reward_text) > MAX_TEXT:
        raise FissionError(f"海报文字和奖励说明各不超过 {MAX_TEXT} 字")
    if activity.reward not in REWARDS:
        raise FissionError("奖励应是 link（链接）、coupon（券码）或 message（员工发送的消息）")
    if activity.reward == "link" and not activity.reward_url.startswith("https://"):
        raise FissionError("链接奖励需要以 https:// 开头的网址")
    if activity.reward == "message" and not activity.reward_text.strip():
        raise FissionError("消息奖励需要填写消息内容")
    if activity.goal_kind not in GOAL_KINDS:
        raise FissionError("目标应是 friends（邀请好友）或 group（邀请入群）")
    if activity.in_groups and not 1 <= len(activity.chat_ids) <= MAX_GROUPS:
        raise FissionError(f"邀请入群需要 1–{MAX_GROUPS} 个客户群（个人码按顺序填满）")
    if not activity.in_groups and activity.chat_ids:
        raise FissionError("邀请好友的活动不用填客户群")


def parse_coupons(text: str) -> list[str]:
    """The coupon codes of an upload, one a line (blank lines skipped, repeats once), or
    `FissionError` saying which is wrong."""
    codes = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if not codes or len(codes) > MAX_COUPONS:
        raise FissionError(f"券码文件应有 1–{MAX_COUPONS} 行券码")
    bad = next((n for n, c in enumerate(codes, 1) if len(c) > MAX_COUPON or not c.isprintable()), 0)
    if bad:
        raise FissionError(f"第 {bad} 个券码太长或含不可见字符")
    return codes
