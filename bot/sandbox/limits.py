"""Errcodes, errmsg formatting and payload validation shared by every sandbox route.

Limits measured "in bytes" by the docs are UTF-8 byte lengths; limits in "characters" are
code points. A length violation answers 40058 with an errmsg shaped like WeCom's own
(`attachments.link.title exceed max length 128. invalid Request Parameter`), which is the
form a real answer was seen to take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JsonDict = dict[str, Any]

# errcode -> English errmsg, worded like WeCom's own errmsg where one is known.
ERRMSG: dict[int, str] = {
    -1: "system busy",
    40001: "invalid credential",
    40003: "invalid userid",
    40004: "invalid media type",
    40005: "invalid type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40011: "invalid video size",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40029: "invalid code",
    40032: "invalid userid list size",
    40050: "invalid chatid",  # unconfirmed for externalcontact/groupchat/get
    40056: "invalid agentid",
    40058: "invalid Request Parameter",
    40066: "invalid party list",
    40068: "invalid tagid",
    40071: "UserTag Name Already Exist",
    40096: "invalid external userid",
    40123: "invalid image format",
    40126: "corp tag count exceed limit 3000",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    41006: "missing media_id",
    41008: "missing code",
    41009: "missing userid",
    41010: "missing url",
    41011: "missing agentid",
    41016: "missing title",
    41033: "missing description",
    41035: "missing external userid",
    41037: "missing contact way type",
    41038: "missing contact way scene",
    41039: "invalid contact way type",
    41040: "invalid contact way scene",
    41041: "contact way user count exceed limit",
    41043: "missing contact way config_id",
    41044: "invalid contact way config_id",
    41045: "contact way count exceed limit",
    41048: "no customer can be sent",
    41049: "missing welcome code",
    41050: "invalid welcome code",
    41051: "externaluser has started chatting",
    41055: "group welcome template count exceed limit",
    41065: "invalid attachment type",
    41096: "welcome msg is being distributed",
    42001: "access_token expired",
    44001: "empty media data",
    44004: "empty content",
    45002: "content size out of limit",
    45008: "article count exceed limit 8",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    47001: "data format error",  # unconfirmed: WeCom's code for malformed JSON
    48002: "api forbidden",
    50100: "invalid cursor",
    60011: "no privilege to access/modify contact/party/agent",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
    82001: "All touser & toparty & totag invalid",
    82002: "invalid party list size",
    84061: "not external contact",
    91040: "invalid ticket type",
    95000: "invalid open_kfid",
    95004: "open_kfid not exist",
    95007: "invalid msg token",  # unconfirmed
    301002: "access_token and agentid mismatch",
    301016: "invalid voice file",
    301017: "voice file must be amr",
}


class ApiError(Exception):
    """A WeCom error answer: HTTP 200 with `{"errcode": errcode, "errmsg": ...}`."""

    def __init__(self, errcode: int, detail: str | None = None) -> None:
        self.errcode = errcode
        self.detail = detail or ERRMSG.get(errcode, "error")
        super().__init__(f"{errcode}: {self.detail}")


def errmsg(errcode: int, detail: str, hint: str) -> str:
    """The errmsg WeCom sends: a detail, a request hint and the errcode lookup link."""
    if errcode == 0:
        return "ok"
    return (
        f"{detail}, hint: [{hint}], from ip: 127.0.0.1, "
        f"more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"
    )


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def too_long(field: str, limit: int) -> ApiError:
    return ApiError(40058, f"{field} exceed max length {limit}. invalid Request Parameter")


def invalid(field: str, why: str = "invalid") -> ApiError:
    return ApiError(40058, f"{field} {why}. invalid Request Parameter")


def max_bytes(value: Any, field: str, limit: int) -> str:
    """A string field of at most `limit` UTF-8 bytes (absent counts as empty)."""
    text = as_str(value, field)
    if utf8_len(text) > limit:
        raise too_long(field, limit)
    return text


def max_chars(value: Any, field: str, limit: int, minimum: int = 0) -> str:
    """A string field of `minimum`..`limit` characters (code points)."""
    text = as_str(value, field)
    if len(text) > limit:
        raise too_long(field, limit)
    if len(text) < minimum:
        raise invalid(field, f"shorter than {minimum}")
    return text


def as_str(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    return value


def as_list(value: Any, field: str, limit: int | None = None) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(field, "must be an array")
    if limit is not None and len(value) > limit:
        raise invalid(field, f"size exceed max {limit}")
    return value


def as_int(value: Any, field: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise invalid(field, "must be an integer")
    return int(value)


def as_dict(value: Any, field: str) -> JsonDict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(field, "must be an object")
    return value


def str_list(value: Any, field: str, limit: int | None = None) -> list[str]:
    items = as_list(value, field, limit)
    if not all(isinstance(item, str) for item in items):
        raise invalid(field, "must be an array of strings")
    return [str(item) for item in items]


def text_content(body: Mapping[str, Any], field: str, limit: int) -> str:
    """`body[field]["content"]`, at most `limit` UTF-8 bytes; "" when absent."""
    text = as_dict(body.get(field), field)
    return max_bytes(text.get("content"), f"{field}.content", limit)


def offset_page(rows: list[Any], cursor: str, limit: int) -> tuple[list[Any], str]:
    """One page of `rows` under the sandbox's cursors (the offset as digits; anything else
    starts at the top), and the next cursor ("" on the last page)."""
    start = int(cursor) if cursor.isdigit() else 0
    more = start + limit < len(rows)
    return rows[start : start + limit], str(start + limit) if more else ""
