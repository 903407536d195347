"""`change_external_chat` (customer groups) and `change_external_tag` events (doc 92130)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.base import Event, register, xml_field


@dataclass(frozen=True, kw_only=True)
class ExternalChatEvent(Event):
    """Fields shared by every change_external_chat event."""

    event: str = xml_field("Event")
    change_type: str = xml_field("ChangeType")
    chat_id: str = xml_field("ChatId")


@register("event", "change_external_chat", "create")
@dataclass(frozen=True, kw_only=True)
class ExternalChatCreate(ExternalChatEvent):
    """A customer group was created."""


@register("event", "change_external_chat", "update")
@dataclass(frozen=True, kw_only=True)
class ExternalChatUpdate(ExternalChatEvent):
    """Members joined or left, the owner, name or notice changed.

    `mem_change_list` is always a list of user ids, however many `<Item>` elements came.
    `join_scene` 0 = invited, 3 = scanned the group QR; `quit_scene` 0 = left, 1 = removed.
    `state`: on a join through a group live code, that code's state (doc 92229).
    """

    update_detail: str = xml_field("UpdateDetail")
    join_scene: int = xml_field("JoinScene", int)
    state: str = xml_field("State")
    quit_scene: int = xml_field("QuitScene", int)
    mem_change_cnt: int = xml_field("MemChangeCnt", int)
    mem_change_list: list[str] = xml_field("MemChangeList", list)
    last_mem_ver: str = xml_field("LastMemVer")
    cur_mem_ver: str = xml_field("CurMemVer")


@register("event", "change_external_chat", "dismiss")
@dataclass(frozen=True, kw_only=True)
class ExternalChatDismiss(ExternalChatEvent):
    """A customer group was dismissed."""


@dataclass(frozen=True, kw_only=True)
class ExternalTagEvent(Event):
    """A corp tag or tag group changed in the admin console; `tag_type` is tag or tag_group."""

    event: str = xml_field("Event")
    change_type: str = xml_field("ChangeType")
    id: str = xml_field("Id")
    tag_type: str = xml_field("TagType")
    strategy_id: str = xml_field("StrategyId")


@register("event", "change_external_tag", "create")
@dataclass(frozen=True, kw_only=True)
class ExternalTagCreate(ExternalTagEvent):
    """A corp tag or tag group was created."""


@register("event", "change_external_tag", "update")
@dataclass(frozen=True, kw_only=True)
class ExternalTagUpdate(ExternalTagEvent):
    """A corp tag or tag group was renamed or reordered."""


@register("event", "change_external_tag", "delete")
@dataclass(frozen=True, kw_only=True)
class ExternalTagDelete(ExternalTagEvent):
    """A corp tag or tag group was deleted."""


@register("event", "change_external_tag", "shuffle")
@dataclass(frozen=True, kw_only=True)
class ExternalTagShuffle(ExternalTagEvent):
    """Tags were reordered in bulk."""
