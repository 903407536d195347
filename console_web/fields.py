"""A console form's fields as the pages' handlers read them: a text of bounded length, and a list
of ids (members, tags, groups) separated by spaces or commas, each checked against its pattern.
A wrong one is a 400 in Chinese naming the field."""

from __future__ import annotations

import re
from typing import Any

from console_web.session_keys import ConsoleError

SEPARATORS = re.compile(r"[\s,，、;；]+")
USERID = re.compile(r"[A-Za-z0-9_@.-]{1,64}")  # a member's account
TAGID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a corp tag's id
CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a customer group's id (wr…)


def text_field(data: dict[str, Any], name: str, label: str, most: int) -> str:
    """`data[name]` stripped ("" when absent), a text of at most `most` characters."""
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > most:
        raise ConsoleError(400, f"「{label}」应为不超过 {most} 个字的文字")
    return value.strip()


def id_list(
    value: Any, label: str, pattern: re.Pattern[str], *, most: int = 4000, what: str = "账号或 ID"
) -> list[str]:
    """The ids of a text (each once, in order), each a full match of `pattern`."""
    if not isinstance(value, str) or len(value) > most:
        raise ConsoleError(400, f"「{label}」应为不超过 {most} 个字的文字")
    items = list(dict.fromkeys(item for item in SEPARATORS.split(value) if item))
    for item in items:
        if not pattern.fullmatch(item):
            raise ConsoleError(400, f"「{label}」里的「{item[:20]}」不是有效的{what}")
    return items
