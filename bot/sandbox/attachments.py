"""Validation of message attachments (welcome messages, mass messages, group welcomes).

Doc 92599 (welcome) and 92135 (mass message) take `attachments[]` of `{msgtype, <msgtype>:
{...}}`; doc 92366 (group welcome templates) takes the same objects as top-level fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sandbox.limits import ApiError, JsonDict, as_dict, as_list, invalid, max_bytes

MAX_ATTACHMENTS = 9
ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")

MediaCheck = Callable[[str, str], bool]  # (media_id, expected type) -> exists


def _media(value: Any, field: str, kind: str, media_ok: MediaCheck) -> str:
    media_id = max_bytes(value, field, 256)
    if media_id and not media_ok(media_id, kind):
        raise ApiError(40007, f"invalid media_id {media_id[:20]}")
    return media_id


def validate_one(msgtype: str, payload: Any, prefix: str, media_ok: MediaCheck) -> JsonDict:
    """One attachment body of `msgtype`; returns it as WeCom would deliver it."""
    body = as_dict(payload, prefix)
    if msgtype == "image":
        media_id = _media(body.get("media_id"), f"{prefix}.media_id", "image", media_ok)
        pic_url = max_bytes(body.get("pic_url"), f"{prefix}.pic_url", 2048)
        if not media_id and not pic_url:
            raise invalid(f"{prefix}.media_id", "and pic_url are both empty")
        return {k: v for k, v in (("media_id", media_id), ("pic_url", pic_url)) if v}
    if msgtype == "link":
        title = max_bytes(body.get("title"), f"{prefix}.title", 128)
        url = max_bytes(body.get("url"), f"{prefix}.url", 2048)
        if not title:
            raise ApiError(41016, f"missing {prefix}.title")
        if not url:
            raise ApiError(41010, f"missing {prefix}.url")
        return {
            "title": title,
            "url": url,
            "picurl": max_bytes(body.get("picurl"), f"{prefix}.picurl", 2048),
            "desc": max_bytes(body.get("desc"), f"{prefix}.desc", 512),
        }
    if msgtype == "miniprogram":
        result = {
            "title": max_bytes(body.get("title"), f"{prefix}.title", 64),
            "pic_media_id": _media(
                body.get("pic_media_id"), f"{prefix}.pic_media_id", "image", media_ok
            ),
            "appid": max_bytes(body.get("appid"), f"{prefix}.appid", 64),
            "page": max_bytes(body.get("page"), f"{prefix}.page", 1024),
        }
        for key, value in result.items():
            if not value:  # every miniprogram field is required (doc 92599)
                raise invalid(f"{prefix}.{key}", "missing")
        return result
    if msgtype in ("video", "file"):
        media_id = _media(body.get("media_id"), f"{prefix}.media_id", msgtype, media_ok)
        if not media_id:
            raise ApiError(41006, f"missing {prefix}.media_id")
        return {"media_id": media_id}
    raise ApiError(41065, f"invalid attachment type {msgtype[:20]}")


def validate_attachments(value: Any, media_ok: MediaCheck) -> list[JsonDict]:
    """`attachments[]` of at most 9 items, each `{msgtype, <msgtype>: {...}}`."""
    items = as_list(value, "attachments")
    if len(items) > MAX_ATTACHMENTS:
        raise invalid("attachments", f"size exceed max {MAX_ATTACHMENTS}")
    result: list[JsonDict] = []
    for index, item in enumerate(items):
        entry = as_dict(item, f"attachments[{index}]")
        msgtype = entry.get("msgtype")
        if not isinstance(msgtype, str) or msgtype not in ATTACHMENT_TYPES:
            raise ApiError(41065, f"invalid attachment type {str(msgtype)[:20]}")
        body = validate_one(msgtype, entry.get(msgtype), f"attachments.{msgtype}", media_ok)
        result.append({"msgtype": msgtype, msgtype: body})
    return result
