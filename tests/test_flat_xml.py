"""The flat reader of callback XML gives exactly what expat gives, or leaves it to expat."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events.parse import XmlRejected, _flat, parse_with_expat, parse_xml

# characters that matter to XML: markup, entities, CDATA ends, line ends, forbidden controls
_TRICKY = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "]",
        "]]>",
        "<![CDATA[",
        "\r",
        "\r\n",
        "\n",
        "\t",
        " ",
        "\x01",
        "\ufffe",
        "&amp;",
        "<!DOCTYPE x>",
        "<b>",
        "</b>",
        "é",
        "企业微信",
        "a",
        "1",
        "\ud800",
    ]
)
_TEXT = st.lists(_TRICKY | st.text(max_size=4), max_size=6).map("".join)
_NAME = st.sampled_from(["MsgType", "Event", "ToUserName", "Id", "a.b", "x-y", "_u", "1bad", "a b"])


@st.composite
def _element(draw: st.DrawFn) -> str:
    name = draw(_NAME)
    body = draw(_TEXT)
    if draw(st.booleans()):
        body = f"<![CDATA[{body}]]>"
    close = name if draw(st.integers(0, 9)) else draw(_NAME)
    space = draw(st.sampled_from(["", " ", "\n", "\r\n"]))
    return f"{space}<{name}>{body}</{close}>"


@st.composite
def _document(draw: st.DrawFn) -> str:
    children = "".join(draw(st.lists(_element(), max_size=6)))
    head = draw(st.sampled_from(["<xml>", "<xml>", "<?xml version='1.0'?><xml>", "<xm>"]))
    tail = draw(st.sampled_from(["</xml>", "</xml>\n", " </xml>", "</xml>x", ""]))
    return head + children + tail


def _outcome(parse: Callable[[str], dict[str, Any]], text: str) -> dict[str, Any] | str:
    try:
        return parse(text)
    except XmlRejected as exc:
        return exc.reason


@settings(max_examples=3000, deadline=None)
@given(_document())
def test_flat_reader_agrees_with_expat_or_defers(text: str) -> None:
    reference = _outcome(parse_with_expat, text)
    fast = _flat(text)
    if fast is not None:  # read flat: then expat accepts it and reads the same
        assert fast == reference
    assert _outcome(parse_xml, text) == reference


def test_a_wecom_event_is_read_flat_with_repeats_as_lists() -> None:
    text = (
        "<xml><ToUserName><![CDATA[ww1]]></ToUserName><CreateTime>1700000000</CreateTime>"
        "<Id><![CDATA[a]]></Id>\n<Id><![CDATA[b]]></Id><Id>c</Id><Empty></Empty></xml>"
    )
    fields = _flat(text)
    assert fields == {"ToUserName": "ww1", "CreateTime": "1700000000", "Id": ["a", "b", "c"]} | {
        "Empty": ""
    }
    assert fields == parse_with_expat(text)


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>',
        "<xml><A>&amp;</A></xml>",
        "<xml><A><B>x</B></A></xml>",
        '<xml><A k="v">x</A></xml>',
        "<xml><A>x\r\ny</A></xml>",
        "<xml><A><![CDATA[x]]>y</A></xml>",
        "<xml><A/></xml>",
    ],
)
def test_anything_but_flat_text_is_left_to_expat(text: str) -> None:
    assert _flat(text) is None


def test_entities_are_still_refused() -> None:
    with pytest.raises(XmlRejected) as caught:
        parse_xml('<!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>')
    assert caught.value.reason == "xml_entities"


def test_an_unclosed_cdata_costs_linear_time() -> None:
    # a section that never ends: a backtracking pattern would take ages on this
    text = "<xml><A><![CDATA[" + "]" * 200_000 + "x" * 200_000 + "</A></xml>"
    started = time.process_time()
    assert _flat(text) is None
    # CPU time of this process, so a busy machine doesn't move it: linear is milliseconds,
    # backtracking would be hours
    assert time.process_time() - started < 5
