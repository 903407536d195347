"""Typed callback events; importing this package registers every event class."""

from bot.events.acquisition import CustomerAcquisition
from bot.events.base import EVENT_TYPES, Event, EventParseError, UnknownEvent, register
from bot.events.chat import (
    ExternalChatCreate,
    ExternalChatDismiss,
    ExternalChatEvent,
    ExternalChatUpdate,
    ExternalTagCreate,
    ExternalTagDelete,
    ExternalTagEvent,
    ExternalTagShuffle,
    ExternalTagUpdate,
)
from bot.events.chat_text import ChatText
from bot.events.contact import (
    AddExternalContact,
    AddHalfExternalContact,
    ContactAdded,
    DelExternalContact,
    DelFollowUser,
    EditExternalContact,
    ExternalContactEvent,
    TransferFail,
)
from bot.events.members import MemberDeleted
from bot.events.messages import AppMessage, KfMsgOrEvent, MsgAuditNotify, TextMessage
from bot.events.parse import XmlRejected, event_from_fields, parse_event, parse_xml

__all__ = [
    "EVENT_TYPES",
    "AddExternalContact",
    "AddHalfExternalContact",
    "AppMessage",
    "ChatText",
    "ContactAdded",
    "CustomerAcquisition",
    "DelExternalContact",
    "DelFollowUser",
    "EditExternalContact",
    "Event",
    "EventParseError",
    "ExternalChatCreate",
    "ExternalChatDismiss",
    "ExternalChatEvent",
    "ExternalChatUpdate",
    "ExternalContactEvent",
    "ExternalTagCreate",
    "ExternalTagDelete",
    "ExternalTagEvent",
    "ExternalTagShuffle",
    "ExternalTagUpdate",
    "KfMsgOrEvent",
    "MemberDeleted",
    "MsgAuditNotify",
    "TextMessage",
    "TransferFail",
    "UnknownEvent",
    "XmlRejected",
    "event_from_fields",
    "parse_event",
    "parse_xml",
    "register",
]
