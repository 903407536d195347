"""`change_contact` events about members (通讯录回调, doc 90970). Only a member leaving
(delete_user) is acted on: their customers and groups wait for inheritance."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.base import Event, register, xml_field


@register("event", "change_contact", "delete_user")
@dataclass(frozen=True, kw_only=True)
class MemberDeleted(Event):
    """A member was deleted from the corp (resigned): `user_id`."""

    event: str = xml_field("Event")
    change_type: str = xml_field("ChangeType")
    user_id: str = xml_field("UserID")
