"""Entity-free XML parsing of callback bodies and decrypted events.

expat (C) is driven directly with the same guards defusedxml installs: any DOCTYPE, entity
declaration or external entity reference aborts the parse, which closes billion-laughs and XXE
before anything is expanded. defusedxml itself routes through the pure-Python ElementTree
builder, which cost 4x more per callback on the ingest hot path.
"""

from __future__ import annotations

import re
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


# WeCom's callbacks are almost all flat: `<xml>` holding elements of plain text or one CDATA
# section each. Those are read by the patterns below (~3x faster than expat driving Python
# callbacks, and every callback and pipeline event is parsed). Anything else — a declaration,
# a DOCTYPE, nesting, attributes, entities, `]`, CR (expat normalises line ends), a character
# XML forbids — is left to expat, so both ways give the same dict (a test holds them to it).
# Possessive quantifiers: a CDATA section that never closes fails without backtracking.
_FORBIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_CHILD = re.compile(
    r"[ \t\n]*+<([A-Za-z_][A-Za-z0-9_.-]*+)>"
    rf"(?:<!\[CDATA\[((?:[^\]\r{_FORBIDDEN}]|\](?!\]>))*+)\]\]>|([^<&\]\r{_FORBIDDEN}]*+))"
    r"</\1>"
)
_END = re.compile(r"[ \t\n]*+</xml>[ \t\n]*+\Z")


def _flat(text: str) -> dict[str, Any] | None:
    """The fields of a flat `<xml>` document, or None when expat must read it."""
    if not text.startswith("<xml>"):
        return None
    fields: dict[str, Any] = {}
    pos = 5
    while (found := _CHILD.match(text, pos)) is not None:
        tag, cdata, plain = found.groups()
        value = cdata if cdata is not None else plain
        if tag not in fields:
            fields[tag] = value
        elif isinstance(fields[tag], list):
            fields[tag].append(value)
        else:
            fields[tag] = [fields[tag], value]
        pos = found.end()
    return fields if _END.match(text, pos) else None


def parse_xml(text: str | bytes) -> dict[str, Any]:
    """Parse `<xml>...</xml>` into a dict of child tag -> text, list or nested dict."""
    if isinstance(text, str) and (fields := _flat(text)) is not None:
        return fields
    return parse_with_expat(text)


def parse_with_expat(text: str | bytes) -> dict[str, Any]:
    """`parse_xml` by expat alone, for any document (the flat reader's reference)."""
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
