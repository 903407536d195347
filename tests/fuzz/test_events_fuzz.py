"""Fuzzing the event parser: any XML or field dict gives an event (the unknown-event fallback
for unregistered types) or `XmlRejected`, never another exception, a hang or an expansion."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.events import (
    EVENT_TYPES,
    Event,
    UnknownEvent,
    XmlRejected,
    event_from_fields,
    parse_event,
    parse_xml,
)
from tests.fuzz.strategies import (
    HOSTILE_XML,
    KNOWN_TAGS,
    NON_UTF8,
    TRIPLES,
    any_text,
    event_documents,
    field_values,
    fuzz,
    tag_names,
)


def parsed_or_refused(document: str | bytes) -> Event | XmlRejected:
    try:
        event = parse_event(document)
    except XmlRejected as exc:
        assert exc.reason in ("malformed_xml", "xml_entities")
        return exc
    assert isinstance(event, Event)
    return event


def expected_class(fields: dict[str, Any]) -> type[Event]:
    def text(tag: str) -> str:
        value = fields.get(tag, "")
        return value if isinstance(value, str) else ""

    triple = (text("MsgType"), text("Event"), text("ChangeType"))
    return EVENT_TYPES.get(triple) or EVENT_TYPES.get((*triple[:2], "")) or UnknownEvent


def deeply_nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"a": "x"}
    for _ in range(depth):
        value = {"a": value}
    return value


@given(event_documents())
@fuzz()
@example("<xml><ToUserName>" + "<a>" * 20_000 + "</a>" * 20_000 + "</ToUserName></xml>")
def test_any_well_formed_document_parses_or_is_refused(document: str) -> None:
    result = parsed_or_refused(document)
    if isinstance(result, Event):
        assert type(result) is expected_class(parse_xml(document))
        assert dict(result.raw) == parse_xml(document)


@given(st.binary(max_size=300) | any_text)
@fuzz()
def test_any_bytes_or_text_parse_or_are_refused(document: str | bytes) -> None:
    parsed_or_refused(document)
    parsed_or_refused(
        b"<xml>" + document + b"</xml>" if isinstance(document, bytes) else f"<xml>{document}</xml>"
    )


@given(st.dictionaries(tag_names | any_text, field_values, max_size=12), st.sampled_from(TRIPLES))
@fuzz()
@example({"CreateTime": "9" * 5000}, TRIPLES[0])
@example({"MemChangeList": {"Item": {"x": "y"}}}, ("event", "change_external_chat", "update"))
def test_any_field_dict_gives_an_event_or_is_refused(
    fields: dict[str, Any], triple: tuple[str, str, str]
) -> None:
    for candidate in (
        fields,
        fields | dict(zip(("MsgType", "Event", "ChangeType"), triple, strict=True)),
    ):
        try:
            event = event_from_fields(candidate)
        except XmlRejected as exc:
            assert exc.reason == "malformed_xml"
            continue
        assert type(event) is expected_class(candidate)


def test_nested_field_values_are_refused_without_recursing() -> None:
    """Fuzzing found it: a nested value in a text field was repr()'d whole, and 20,000 levels
    of nesting (well within a 64 KiB body) raised RecursionError instead of `XmlRejected`."""
    with pytest.raises(XmlRejected):
        event_from_fields({"ToUserName": deeply_nested(20_000)})
    document = "<xml><ToUserName>" + "<a>" * 20_000 + "x" + "</a>" * 20_000 + "</ToUserName></xml>"
    assert isinstance(parsed_or_refused(document), XmlRejected)


@pytest.mark.parametrize("document", HOSTILE_XML, ids=lambda d: d[:40])
def test_hostile_documents_are_refused_or_parsed_without_expansion(document: str) -> None:
    result = parsed_or_refused(document)
    if "<!DOCTYPE" in document:
        assert isinstance(result, XmlRejected) and result.reason == "xml_entities"
    if isinstance(result, Event):  # nothing read from outside, nothing expanded
        assert not any("root:" in text or "lol" in text for text in leaves(dict(result.raw)))


def leaves(value: Any) -> list[str]:
    """Every text in a parsed tree, without recursion (the tree may be 50,000 levels deep)."""
    found, todo = [], [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            todo += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            todo += item
    return found


@pytest.mark.parametrize("document", NON_UTF8, ids=repr)
def test_other_encodings_parse_or_are_refused(document: bytes) -> None:
    parsed_or_refused(document)


def test_known_tags_cover_the_header() -> None:
    assert {"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId"} <= set(KNOWN_TAGS)
