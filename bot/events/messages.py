"""App messages from staff, customer-service (KF) and chat-archive notifications (doc 92130)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.base import Event, register, xml_field


@dataclass(frozen=True, kw_only=True)
class AppMessage(Event):
    """A message a staff member sent to the app; WeCom reuses `msg_id` on retries."""

    msg_id: str = xml_field("MsgId")
    agent_id: int = xml_field("AgentID", int)

    @property
    def dedup_id(self) -> str | None:
        return f"msg:{self.msg_id}" if self.msg_id else None

    @property
    def user_id(self) -> str:
        return self.from_user_name


@register("text")
@dataclass(frozen=True, kw_only=True)
class TextMessage(AppMessage):
    """Text a staff member sent to the app (admin commands arrive this way)."""

    content: str = xml_field("Content")


@register("event", "kf_msg_or_event")
@dataclass(frozen=True, kw_only=True)
class KfMsgOrEvent(Event):
    """New WeChat Customer Service messages; pull them with kf/sync_msg using `token`."""

    event: str = xml_field("Event")
    token: str = xml_field("Token")
    open_kfid: str = xml_field("OpenKfId")


@register("event", "msgaudit_notify")
@dataclass(frozen=True, kw_only=True)
class MsgAuditNotify(Event):
    """New archived chat messages exist; the content needs the licensed Finance SDK."""

    event: str = xml_field("Event")
    agent_id: int = xml_field("AgentID", int)
