"""Every event and message WeCom sends (docs 90240, 92130, 94670) parses to its typed class."""

from __future__ import annotations

import pytest

from bot.events import (
    EVENT_TYPES,
    AddExternalContact,
    AddHalfExternalContact,
    DelExternalContact,
    DelFollowUser,
    EditExternalContact,
    ExternalChatCreate,
    ExternalChatDismiss,
    ExternalChatUpdate,
    ExternalTagCreate,
    ExternalTagDelete,
    ExternalTagShuffle,
    ExternalTagUpdate,
    KfMsgOrEvent,
    MsgAuditNotify,
    TextMessage,
    TransferFail,
    UnknownEvent,
    XmlRejected,
    parse_event,
)

HEADER = (
    "<ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
)


def contact(change: str, extra: str = "") -> str:
    return (
        f"<xml>{HEADER}<Event><![CDATA[change_external_contact]]></Event>"
        f"<ChangeType><![CDATA[{change}]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"
        f"<ExternalUserID><![CDATA[wmABC]]></ExternalUserID>{extra}</xml>"
    )


def test_add_external_contact_fields() -> None:
    event = parse_event(
        contact("add_external_contact", "<State>ch:7</State><WelcomeCode>WC1</WelcomeCode>")
    )
    assert isinstance(event, AddExternalContact)
    assert (event.user_id, event.external_userid, event.state, event.welcome_code) == (
        "zhangsan",
        "wmABC",
        "ch:7",
        "WC1",
    )
    assert (event.to_user_name, event.from_user_name, event.create_time) == (
        "ww1",
        "sys",
        1700000000,
    )
    assert event.dedup_id is None


def test_add_without_welcome_code() -> None:
    event = parse_event(contact("add_external_contact"))
    assert isinstance(event, AddExternalContact)
    assert event.welcome_code == "" and event.state == ""


@pytest.mark.parametrize(
    ("change", "extra", "cls", "attr", "value"),
    [
        (
            "add_half_external_contact",
            "<WelcomeCode>W</WelcomeCode>",
            AddHalfExternalContact,
            "welcome_code",
            "W",
        ),
        ("edit_external_contact", "", EditExternalContact, "user_id", "zhangsan"),
        (
            "del_external_contact",
            "<Source>DELETE_BY_TRANSFER</Source>",
            DelExternalContact,
            "source",
            "DELETE_BY_TRANSFER",
        ),
        ("del_follow_user", "", DelFollowUser, "external_userid", "wmABC"),
        (
            "transfer_fail",
            "<FailReason>customer_refused</FailReason>",
            TransferFail,
            "fail_reason",
            "customer_refused",
        ),
    ],
)
def test_contact_change_types(change: str, extra: str, cls: type, attr: str, value: str) -> None:
    event = parse_event(contact(change, extra))
    assert type(event) is cls
    assert getattr(event, attr) == value


def chat(change: str, extra: str = "") -> str:
    return (
        f"<xml>{HEADER}<Event>change_external_chat</Event><ChatId>wrCHAT</ChatId>"
        f"<ChangeType>{change}</ChangeType>{extra}</xml>"
    )


def test_chat_update_with_one_member_is_a_list() -> None:
    event = parse_event(
        chat(
            "update",
            "<UpdateDetail>add_member</UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt>"
            "<MemChangeList><Item>wmA</Item></MemChangeList><LastMemVer>v1</LastMemVer><CurMemVer>v2</CurMemVer>",
        )
    )
    assert isinstance(event, ExternalChatUpdate)
    assert event.mem_change_list == ["wmA"]
    assert (event.update_detail, event.join_scene, event.mem_change_cnt) == ("add_member", 3, 1)
    assert (event.last_mem_ver, event.cur_mem_ver) == ("v1", "v2")


def test_chat_update_with_many_members() -> None:
    event = parse_event(
        chat(
            "update",
            "<UpdateDetail>del_member</UpdateDetail><QuitScene>1</QuitScene><MemChangeCnt>3</MemChangeCnt>"
            "<MemChangeList><Item>a</Item><Item>b</Item><Item>c</Item></MemChangeList>",
        )
    )
    assert isinstance(event, ExternalChatUpdate)
    assert event.mem_change_list == ["a", "b", "c"]
    assert event.quit_scene == 1


def test_chat_update_without_members_is_an_empty_list() -> None:
    event = parse_event(chat("update", "<UpdateDetail>change_name</UpdateDetail>"))
    assert isinstance(event, ExternalChatUpdate)
    assert event.mem_change_list == []


@pytest.mark.parametrize(
    ("change", "cls"), [("create", ExternalChatCreate), ("dismiss", ExternalChatDismiss)]
)
def test_chat_create_dismiss(change: str, cls: type) -> None:
    event = parse_event(chat(change))
    assert type(event) is cls
    assert event.chat_id == "wrCHAT"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "cls"),
    [
        ("create", ExternalTagCreate),
        ("update", ExternalTagUpdate),
        ("delete", ExternalTagDelete),
        ("shuffle", ExternalTagShuffle),
    ],
)
def test_tag_changes(change: str, cls: type) -> None:
    xml = (
        f"<xml>{HEADER}<Event>change_external_tag</Event><Id>et1</Id><TagType>tag</TagType>"
        f"<ChangeType>{change}</ChangeType></xml>"
    )
    event = parse_event(xml)
    assert type(event) is cls
    assert (event.id, event.tag_type) == ("et1", "tag")  # type: ignore[attr-defined]


def test_kf_and_msgaudit() -> None:
    kf = parse_event(
        f"<xml>{HEADER}<Event>kf_msg_or_event</Event><Token>T1</Token><OpenKfId>wk1</OpenKfId></xml>"
    )
    assert isinstance(kf, KfMsgOrEvent)
    assert (kf.token, kf.open_kfid) == ("T1", "wk1")
    audit = parse_event(f"<xml>{HEADER}<Event>msgaudit_notify</Event><AgentID>9</AgentID></xml>")
    assert isinstance(audit, MsgAuditNotify)
    assert audit.agent_id == 9


def test_app_text_message_dedups_on_msg_id() -> None:
    event = parse_event(
        "<xml><ToUserName>ww1</ToUserName><FromUserName>lisi</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content><![CDATA[话术 搜索 退货\n第二行]]></Content>"
        "<MsgId>123</MsgId><AgentID>1000002</AgentID></xml>"
    )
    assert isinstance(event, TextMessage)
    assert event.content == "话术 搜索 退货\n第二行"
    assert event.user_id == "lisi"
    assert event.dedup_id == "msg:123"


@pytest.mark.parametrize(
    "xml",
    [
        f"<xml>{HEADER}<Event>enter_agent</Event></xml>",
        f"<xml>{HEADER}<Event>change_external_contact</Event><ChangeType>brand_new</ChangeType></xml>",
        "<xml><MsgType>image</MsgType><PicUrl>http://x</PicUrl></xml>",
        "<xml></xml>",
    ],
)
def test_unknown_types_become_unknown_event(xml: str) -> None:
    event = parse_event(xml)
    assert type(event) is UnknownEvent


def test_registry_covers_reference_section_3() -> None:
    expected = {
        ("event", "change_external_contact", c)
        for c in (
            "add_external_contact",
            "add_half_external_contact",
            "edit_external_contact",
            "del_external_contact",
            "del_follow_user",
            "transfer_fail",
        )
    }
    expected |= {("event", "change_external_chat", c) for c in ("create", "update", "dismiss")}
    expected |= {
        ("event", "change_external_tag", c) for c in ("create", "update", "delete", "shuffle")
    }
    expected |= {
        ("event", "msgaudit_notify", ""),
        ("event", "kf_msg_or_event", ""),
        ("text", "", ""),
    }
    assert expected <= set(EVENT_TYPES)


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ('<!DOCTYPE xml [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>', "xml_entities"),
        ('<!DOCTYPE xml SYSTEM "http://evil/x.dtd"><xml/>', "xml_entities"),
        ("<xml><Content>unclosed</xml>", "malformed_xml"),
        ("not xml", "malformed_xml"),
        ("<root><MsgType>text</MsgType></root>", "malformed_xml"),
        (f"<xml>{HEADER.replace('1700000000', 'soon')}</xml>", "malformed_xml"),
    ],
)
def test_hostile_xml_is_rejected(xml: str, reason: str) -> None:
    with pytest.raises(XmlRejected) as caught:
        parse_event(xml)
    assert caught.value.reason == reason
