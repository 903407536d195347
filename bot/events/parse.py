"""Entity-free XML parsing of callback bodies and decrypted events.

defusedxml refuses DTDs, entity declarations and external references outright, which closes
billion-laughs and XXE before any element is read.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.events.base import Event, EventParseError, lookup


class XmlRejected(ValueError):
    """The XML was refused; `reason` is `malformed_xml` or `xml_entities`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def parse_xml(text: str | bytes) -> dict[str, Any]:
    """Parse `<xml>...</xml>` into a dict of child tag -> text, list or nested dict."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlRejected("xml_entities", type(exc).__name__) from None
    except (ParseError, ValueError) as exc:
        raise XmlRejected("malformed_xml", str(exc)[:120]) from None
    if root.tag != "xml":
        raise XmlRejected("malformed_xml", f"root element is <{root.tag[:30]}>, not <xml>")
    value = _element_value(root)
    return value if isinstance(value, dict) else {}


def _element_value(element: Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    result: dict[str, Any] = {}
    for child in children:
        value = _element_value(child)
        if child.tag in result:
            existing = result[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[child.tag] = [existing, value]
        else:
            result[child.tag] = value
    return result


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
