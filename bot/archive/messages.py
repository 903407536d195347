"""What an archived message is to us (doc 91774's message JSON): who said it to whom, and in
what conversation; text as a `ChatText` event, every other kind as a line admins read in the
conversation ("[图片]", "[文件] 报价单.pdf", "[链接] 标题" …), with the file's SDK id kept so the
console can fetch it from WeCom when an admin opens it (never before: most are never looked at).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.events import ChatText
from bot.wecom.api.base import number

CUSTOMER_PREFIXES = ("wm", "wo")  # external_userid shapes; members' userids are anything else
MAX_SUMMARY = 200
MAX_FILEID = 2000  # a longer id is not an SDK file id: the line is kept without the file
MAX_NAME = 100
MAX_MIXED_ITEMS = 100
MEDIA_KINDS = ("image", "voice", "video", "file", "emotion")
LABELS = {
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "file": "文件",
    "emotion": "表情",
    "link": "链接",
    "location": "位置",
    "card": "名片",
    "weapp": "小程序",
    "chatrecord": "聊天记录",
    "mixed": "图文混排消息",
    "markdown": "Markdown 消息",
    "news": "图文消息",
    "calendar": "日程",
    "todo": "待办",
    "vote": "投票",
    "collect": "填表",
    "redpacket": "红包",
    "external_redpacket": "红包",
    "meeting": "会议邀请",
    "docmsg": "在线文档",
    "sphfeed": "视频号消息",
    "agree": "同意存档",
    "disagree": "不同意存档",
    "revoke": "撤回了一条消息",
}


@dataclass(frozen=True, slots=True)
class Media:
    """A file of an archived message, fetched from WeCom only when an admin opens it."""

    kind: str  # one of MEDIA_KINDS
    fileid: str  # the SDK's sdkfileid
    md5: str
    size: int  # bytes, as the message says
    name: str = ""  # a file's own name

    def as_json(self) -> list[Any]:
        return [self.kind, self.fileid, self.md5, self.size, self.name]

    @classmethod
    def from_json(cls, row: list[Any]) -> Media:
        kind, fileid, md5, size, name = row
        return cls(str(kind), str(fileid), str(md5), int(size), str(name))


@dataclass(frozen=True, slots=True)
class Parties:
    """Who: the sender's side, the customer and the member of a 1:1 chat, or the group."""

    from_customer: bool
    customer: str
    member: str
    room: str


@dataclass(frozen=True, slots=True)
class Line:
    """A message that is not text, as the line kept in its conversation."""

    msgid: str
    parties: Parties
    text: str
    at: int
    media: Media | None = None


def is_customer(user: str) -> bool:
    return user.startswith(CUSTOMER_PREFIXES)


def parties_of(message: dict[str, Any]) -> Parties | None:
    """None for a message between members only (not a customer conversation)."""
    sender = str(message.get("from", ""))
    others = [str(t) for t in message.get("tolist") or []]
    room = str(message.get("roomid") or "")
    customer = sender if is_customer(sender) else next((t for t in others if is_customer(t)), "")
    member = (
        sender if not is_customer(sender) else next((t for t in others if not is_customer(t)), "")
    )
    if not customer and not room:
        return None
    return Parties(is_customer(sender), customer, member, room)


def as_chat_text(message: dict[str, Any]) -> ChatText | None:
    """A text message between a member and a customer (1:1 or in a group) as ChatText; so is a
    mixed message (图文混排) with text in it, by its text parts."""
    kind = message.get("msgtype")
    if kind not in ("text", "mixed") or message.get("action", "send") != "send":
        return None
    text = _text_of(message) if kind == "text" else _mixed_text(message)
    who = parties_of(message)
    if who is None or not text:
        return None
    sent_at = int(message.get("msgtime") or 0) // 1000
    return ChatText(
        msgid=str(message.get("msgid", "")),
        source="archive",
        sender="customer" if who.from_customer else "staff",
        external_userid=who.customer,
        staff_userid=who.member,
        chat_id=who.room,
        text=text,
        sent_at=sent_at,
        create_time=sent_at,
    )


def _text_of(message: dict[str, Any]) -> str:
    body = message.get("text")
    return str(body.get("content", "")) if isinstance(body, dict) else ""


def _mixed_text(message: dict[str, Any]) -> str:
    """The text parts of a mixed message (each item's content is JSON in a string)."""
    body = message.get("mixed")
    items = body.get("item") if isinstance(body, dict) else None
    parts = []
    for item in (items if isinstance(items, list) else [])[:MAX_MIXED_ITEMS]:
        if not isinstance(item, dict) or item.get("type") != "text":
            continue
        try:
            content = json.loads(str(item.get("content", "")))
        except ValueError:
            continue
        if isinstance(content, dict) and content.get("content"):
            parts.append(str(content["content"]))
    return "\n".join(parts)


def as_line(message: dict[str, Any]) -> Line | None:
    """Any other message of a customer conversation as its line (None: not one to keep)."""
    kind = str(message.get("msgtype", ""))[:30]
    if kind in ("", "text") or message.get("action", "send") not in ("send", "recall"):
        return None  # (a mixed message with text became ChatText before this is asked)
    who = parties_of(message)
    if who is None:
        return None
    body = message.get(kind)
    body = body if isinstance(body, dict) else {}
    return Line(
        msgid=str(message.get("msgid", "")),
        parties=who,
        text=_summary(kind, body)[:MAX_SUMMARY],
        at=int(message.get("msgtime") or 0) // 1000,
        media=_media(kind, body),
    )


def _summary(kind: str, body: dict[str, Any]) -> str:
    label = LABELS.get(kind, f"其他消息：{kind}")
    detail = {
        "voice": f"{_count(body.get('play_length'))} 秒",
        "video": f"{_count(body.get('play_length'))} 秒",
        "file": str(body.get("filename", "")),
        "link": str(body.get("title", "")),
        "location": str(body.get("address") or body.get("title") or ""),
        "card": str(body.get("corpname", "")),
        "weapp": str(body.get("title") or body.get("displayname") or ""),
        "chatrecord": str(body.get("title", "")),
        "docmsg": str(body.get("title", "")),
    }.get(kind, "")
    return f"[{label}] {detail}".strip() if detail else f"[{label}]"


def _media(kind: str, body: dict[str, Any]) -> Media | None:
    fileid = str(body.get("sdkfileid", ""))
    if kind not in MEDIA_KINDS or not fileid or len(fileid) > MAX_FILEID:
        return None
    size = _count(body.get("filesize") or body.get("voice_size") or body.get("imagesize"))
    name = str(body.get("filename", ""))[:MAX_NAME]
    return Media(kind, fileid, str(body.get("md5sum", ""))[:64], size, name)


def _count(value: object) -> int:
    return max(0, number(value))
