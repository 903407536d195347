"""WeCom XML as WeCom writes it: strings in CDATA, numbers bare, repeated `<Item>` elements for
lists. The sandbox builds callbacks with it; the bot its passive replies."""

from __future__ import annotations

from collections.abc import Iterable

Field = tuple[str, str | int | list[str]]


def cdata(text: str) -> str:
    # "]]>" cannot appear inside one CDATA section: split it across two
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def to_xml(fields: Iterable[Field]) -> str:
    parts = ["<xml>"]
    for tag, value in fields:
        if isinstance(value, bool):
            raise TypeError(f"{tag}: booleans are not WeCom XML values")
        if isinstance(value, int):
            parts.append(f"<{tag}>{value}</{tag}>")
        elif isinstance(value, list):
            items = "".join(f"<Item>{cdata(item)}</Item>" for item in value)
            parts.append(f"<{tag}>{items}</{tag}>")
        else:
            parts.append(f"<{tag}>{cdata(value)}</{tag}>")
    parts.append("</xml>")
    return "".join(parts)
