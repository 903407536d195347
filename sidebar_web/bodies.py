"""The one reader of the sidebar API's request bodies: bounded, strict JSON objects.

Every POST under `/sidebar/api/` goes through it (the guard reads the body once, after the
session and CSRF checks), so no handler sees a body that could fail later: it is at most
`MAX_BODY` bytes, empty or a JSON object, nested at most `MAX_DEPTH` deep, without NaN or
Infinity, and without a lone UTF-16 surrogate (`"\\ud800"` is valid JSON, but such a string
can't be encoded as UTF-8, so Redis, the filter or WeCom would fail on it with a 500).
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from bot.web.bodies import BodyTimeout, BodyTooLarge, read_capped
from sidebar_web.common import SidebarError

MAX_BODY = 16 * 1024  # the longest request is free text of a chat message (≤ 4,000 bytes)
MAX_DEPTH = 8  # the API's bodies are flat objects; a little room for future fields
BODY = web.RequestKey("sidebar_body", dict)

_SURROGATE = re.compile("[\ud800-\udfff]")  # a pair in the JSON text decodes to one character
NOT_JSON = "请求内容不是有效的 JSON"


async def read_json(request: web.Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """The request's JSON object (`{}` for an empty body), read once and then remembered;
    `SidebarError` (4xx, Chinese) when it is too big, not JSON, or not a plain object."""
    if BODY in request:
        return request[BODY]
    raw = await _read(request, limit)
    data: dict[str, Any] = {}
    if raw:
        if request.content_type != "application/json":
            raise SidebarError(415, "请求内容应为 JSON（Content-Type: application/json）")
        data = parse_object(raw)
    request[BODY] = data
    return data


async def _read(request: web.Request, limit: int) -> bytes:
    try:  # bounded in time too: a body trickling in can't hold the connection
        return await read_capped(request, limit)
    except BodyTooLarge:
        raise SidebarError(413, f"请求内容过大（上限 {limit // 1024} KB）") from None
    except BodyTimeout:
        raise SidebarError(408, "请求内容接收超时，请重试") from None


def _no_constant(name: str) -> None:
    raise ValueError(name)


def parse_object(raw: bytes) -> dict[str, Any]:
    """A body's JSON object, checked all through (see the module's docstring)."""
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # also UnicodeDecodeError, ints over 4300 digits
        raise SidebarError(400, NOT_JSON) from None
    if not isinstance(data, dict):
        raise SidebarError(400, "请求内容应为 JSON 对象")
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise SidebarError(400, "请求内容含有无效字符（不成对的 UTF-16 代理项）")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise SidebarError(400, f"请求内容嵌套过深（最多 {MAX_DEPTH} 层）")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return data
