"""Typed WeCom callback events: the base class, the field helper and the type registry.

Each concrete event class is registered under the (MsgType, Event, ChangeType) triple it is
delivered with; anything unregistered parses to `UnknownEvent` instead of failing.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

EventKey = tuple[str, str, str]
XmlValue = str | list[Any] | dict[str, Any]


class EventParseError(ValueError):
    """The XML is well-formed but a field has an impossible value (e.g. a non-numeric time)."""


def _to_str(value: XmlValue | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # reprlib: a bounded repr, since a full one of deep nesting recurses past the stack
    raise EventParseError(f"expected text, got a nested element: {reprlib.repr(value):.60}")


def _to_int(value: XmlValue | None) -> int:
    text = _to_str(value).strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise EventParseError(f"expected a number, got {text[:30]!r}") from None


def _to_list(value: XmlValue | None) -> list[Any]:
    """Repeated elements: one `<Item>` parses to a string, several to a list; always a list."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        items = value.get("Item", list(value.values()))
        return items if isinstance(items, list) else [items]
    return [value]


_CONVERTERS: dict[type, Callable[[XmlValue | None], Any]] = {
    str: _to_str,
    int: _to_int,
    list: _to_list,
}


def xml_field(tag: str, kind: type = str) -> Any:
    """Declare a dataclass field read from the XML element `tag`."""
    if kind is list:
        return field(default_factory=list, metadata={"xml": tag, "kind": kind})
    return field(default=kind(), metadata={"xml": tag, "kind": kind})


@dataclass(frozen=True, kw_only=True)
class Event:
    """Header fields common to every callback; `raw` keeps every element as delivered."""

    key: ClassVar[EventKey] = ("", "", "")

    to_user_name: str = xml_field("ToUserName")
    from_user_name: str = xml_field("FromUserName")
    create_time: int = xml_field("CreateTime", int)
    msg_type: str = xml_field("MsgType")
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedup_id(self) -> str | None:
        """An id WeCom reuses on retries (MsgId), or None to dedupe on the XML's hash."""
        return None

    @classmethod
    def from_fields(cls, raw: Mapping[str, Any]) -> Event:
        kwargs: dict[str, Any] = {"raw": raw}
        for name, tag, convert in _xml_fields(cls):
            kwargs[name] = convert(raw.get(tag))
        return cls(**kwargs)


_FIELD_SPECS: dict[type[Event], list[tuple[str, str, Callable[[XmlValue | None], Any]]]] = {}


def _xml_fields(cls: type[Event]) -> list[tuple[str, str, Callable[[XmlValue | None], Any]]]:
    """(attribute, XML tag, converter) of a class, computed once: this runs per callback."""
    specs = _FIELD_SPECS.get(cls)
    if specs is None:
        specs = [
            (f.name, f.metadata["xml"], _CONVERTERS[f.metadata["kind"]])
            for f in fields(cls)
            if "xml" in f.metadata
        ]
        _FIELD_SPECS[cls] = specs
    return specs


E = TypeVar("E", bound=type[Event])
EVENT_TYPES: dict[EventKey, type[Event]] = {}


def register(msg_type: str, event: str = "", change_type: str = "") -> Callable[[E], E]:
    """Class decorator: deliver XML with this (MsgType, Event, ChangeType) as this class."""

    def decorate(cls: E) -> E:
        key = (msg_type, event, change_type)
        if key in EVENT_TYPES:
            raise ValueError(f"event key {key} registered twice")
        cls.key = key
        EVENT_TYPES[key] = cls
        return cls

    return decorate


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(Event):
    """Anything without a registered class; logged and acknowledged, never a crash."""

    event: str = xml_field("Event")
    change_type: str = xml_field("ChangeType")


def lookup(msg_type: str, event: str, change_type: str) -> type[Event]:
    return (
        EVENT_TYPES.get((msg_type, event, change_type))
        or EVENT_TYPES.get((msg_type, event, ""))
        or UnknownEvent
    )
