"""Entity-free XML parsing of callback bodies and decrypted events.

expat (C) is driven directly with the same guards defusedxml installs: any DOCTYPE, entity
declaration or external entity reference aborts the parse, which closes billion-laughs and XXE
before anything is expanded. defusedxml itself routes through the pure-Python ElementTree
builder, which cost 4x more per callback on the ingest hot path.
"""

from __future__ import annotations

from typing import Any, NoReturn
from xml.parsers import expat

from bot.events.base import Event, EventParseError, lookup


class XmlRejected(ValueError):
    """The XML was refused; `reason` is `malformed_xml` or `xml_entities`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _forbidden(*_args: Any) -> NoReturn:
    raise XmlRejected("xml_entities", "DTDs and entity declarations are not accepted")


class _FlatBuilder:
    """Builds {tag: text | nested dict | list of repeated values} while expat reads."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, dict[str, Any], list[str]]] = []
        self.root: tuple[str, Any] | None = None

    def start(self, tag: str, _attrs: Any) -> None:
        self.stack.append((tag, {}, []))

    def text(self, data: str) -> None:
        if self.stack:
            self.stack[-1][2].append(data)

    def end(self, _tag: str) -> None:
        tag, children, texts = self.stack.pop()
        value: Any = children if children else "".join(texts)
        if not self.stack:
            self.root = (tag, value)
            return
        siblings = self.stack[-1][1]
        if tag not in siblings:
            siblings[tag] = value
        elif isinstance(siblings[tag], list):
            siblings[tag].append(value)
        else:
            siblings[tag] = [siblings[tag], value]


def parse_xml(text: str | bytes) -> dict[str, Any]:
    """Parse `<xml>...</xml>` into a dict of child tag -> text, list or nested dict."""
    builder = _FlatBuilder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbidden
    parser.EntityDeclHandler = _forbidden
    parser.UnparsedEntityDeclHandler = _forbidden
    parser.ExternalEntityRefHandler = _forbidden
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    try:
        parser.Parse(text, True)
    except XmlRejected:
        raise
    except expat.ExpatError as exc:
        raise XmlRejected("malformed_xml", str(exc)[:120]) from None
    except ValueError as exc:  # e.g. a str that cannot be encoded for expat
        raise XmlRejected("malformed_xml", str(exc)[:120]) from None
    if builder.root is None or builder.root[0] != "xml":
        found = builder.root[0] if builder.root else "nothing"
        raise XmlRejected("malformed_xml", f"root element is <{found[:30]}>, not <xml>")
    value = builder.root[1]
    return value if isinstance(value, dict) else {}


def event_from_fields(fields: dict[str, Any]) -> Event:
    """Build the typed event for parsed fields; unknown types give `UnknownEvent`."""

    def text(tag: str) -> str:
        value = fields.get(tag, "")
        return value if isinstance(value, str) else ""

    cls = lookup(text("MsgType"), text("Event"), text("ChangeType"))
    try:
        return cls.from_fields(fields)
    except EventParseError as exc:
        raise XmlRejected("malformed_xml", str(exc)) from None


def parse_event(text: str | bytes) -> Event:
    """Parse a decrypted callback XML into its typed event."""
    return event_from_fields(parse_xml(text))
