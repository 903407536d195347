"""Callback XML exactly as WeCom sends it (doc 92130, 90239, 94670): strings in CDATA,
numbers bare, repeated `<Item>` elements for member lists."""

from __future__ import annotations

from collections.abc import Iterable

from bot.events.xml_out import Field, cdata, to_xml

__all__ = ["Field", "cdata", "to_xml"]


def _header(corp_id: str, create_time: int, event: str, sender: str = "sys") -> list[Field]:
    return [
        ("ToUserName", corp_id),
        ("FromUserName", sender),
        ("CreateTime", create_time),
        ("MsgType", "event"),
        ("Event", event),
    ]


def contact_event(
    corp_id: str,
    create_time: int,
    change_type: str,
    userid: str,
    external_userid: str,
    extra: Iterable[Field] = (),
) -> str:
    """A `change_external_contact` event; `extra` adds State, WelcomeCode, Source, ..."""
    fields = _header(corp_id, create_time, "change_external_contact")
    fields += [
        ("ChangeType", change_type),
        ("UserID", userid),
        ("ExternalUserID", external_userid),
    ]
    fields += list(extra)
    return to_xml(fields)


def chat_event(
    corp_id: str,
    create_time: int,
    chat_id: str,
    change_type: str,
    extra: Iterable[Field] = (),
) -> str:
    """A `change_external_chat` event (create, update with its details, dismiss)."""
    fields = _header(corp_id, create_time, "change_external_chat")
    fields += [("ChatId", chat_id), ("ChangeType", change_type)]
    fields += list(extra)
    return to_xml(fields)


def acquisition_event(corp_id: str, create_time: int, change_type: str, link_id: str = "") -> str:
    """A `customer_acquisition` event (doc 97299): the quota low or gone, a link gone."""
    fields = _header(corp_id, create_time, "customer_acquisition")
    fields.append(("ChangeType", change_type))
    if link_id:
        fields.append(("LinkId", link_id))
    return to_xml(fields)


def kf_event(corp_id: str, create_time: int, token: str, open_kfid: str) -> str:
    """`kf_msg_or_event`: no FromUserName, just the pull token and the KF account."""
    return to_xml(
        [
            ("ToUserName", corp_id),
            ("CreateTime", create_time),
            ("MsgType", "event"),
            ("Event", "kf_msg_or_event"),
            ("Token", token),
            ("OpenKfId", open_kfid),
        ]
    )


def text_message(
    corp_id: str, create_time: int, userid: str, content: str, msg_id: str, agent_id: int
) -> str:
    """A text a staff member sent to the app (doc 90239); MsgId is a 64-bit number."""
    return to_xml(
        [
            ("ToUserName", corp_id),
            ("FromUserName", userid),
            ("CreateTime", create_time),
            ("MsgType", "text"),
            ("Content", content),
            ("MsgId", int(msg_id)),
            ("AgentID", agent_id),
        ]
    )


def envelope(corp_id: str, agent_id: int, encrypt: str) -> str:
    """The POST body around an encrypted message."""
    return to_xml([("ToUserName", corp_id), ("AgentID", str(agent_id)), ("Encrypt", encrypt)])


def member_event(corp_id: str, create_time: int, change_type: str, userid: str) -> str:
    """A `change_contact` event about a member (doc 90970): create_user, update_user,
    delete_user."""
    fields = _header(corp_id, create_time, "change_contact")
    return to_xml([*fields, ("ChangeType", change_type), ("UserID", userid)])
