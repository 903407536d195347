"""Temporary media upload `media/upload?type=` (doc 90253): multipart field `media`.

Documented limits: every file larger than 5 bytes; image 10 MB (JPG/PNG), voice 2 MB (AMR),
video 10 MB (MP4), file 20 MB. Media ids live 3 days.
"""

from __future__ import annotations

from aiohttp import BodyPartReader

from bot.sandbox.dispatch import ANY_TOKEN, Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict
from bot.sandbox.state import Media

router = EndpointTable()

MB = 1024 * 1024
MIN_SIZE = 5  # bytes; "所有文件size必须大于5个字节"
MEDIA_LIFETIME = 3 * 86400
LIMITS = {"image": 10 * MB, "voice": 2 * MB, "video": 10 * MB, "file": 20 * MB}
# errcode for a file over its type's limit; 40009/40011 are documented for image/video size
TOO_BIG = {"image": 40009, "voice": 40006, "video": 40011, "file": 40006}  # voice/file unconfirmed


def _format_error(kind: str, head: bytes) -> ApiError | None:
    """The documented formats, checked by magic bytes."""
    if kind == "image" and not (head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG")):
        return ApiError(40123)
    if kind == "voice" and not head.startswith(b"#!AMR"):
        return ApiError(301017)
    if kind == "video" and head[4:8] != b"ftyp":
        return ApiError(40004, "invalid media type, video must be MP4")  # unconfirmed
    return None


@router.route("media/upload", auth=ANY_TOKEN)
async def upload(ctx: Ctx) -> JsonDict:
    kind = ctx.query.get("type", "")
    if kind not in LIMITS:
        raise ApiError(40005)
    media = await _received(ctx, kind, 0)
    return {"type": kind, "media_id": media.media_id, "created_at": str(media.created_at)}


@router.route("media/upload_attachment", auth=ANY_TOKEN)
async def upload_attachment(ctx: Ctx) -> JsonDict:
    """An attachment for mass messages (attachment_type 1) or moments (2), doc 95098: the same
    checks as `media/upload`; moments take only ids made here with attachment_type 2."""
    kind = ctx.query.get("media_type", "")
    if kind not in ("image", "video", "file"):
        raise ApiError(40005)
    attachment_type = ctx.query.get("attachment_type", "")
    if attachment_type not in ("1", "2"):
        raise ApiError(40058, "attachment_type must be 1 or 2")  # unconfirmed errcode
    media = await _received(ctx, kind, int(attachment_type))
    return {"type": kind, "media_id": media.media_id, "created_at": media.created_at}


async def _received(ctx: Ctx, kind: str, attachment_type: int) -> Media:
    if not ctx.request.content_type.startswith("multipart/"):
        raise ApiError(44001)
    reader = await ctx.request.multipart()
    part = await reader.next()
    while part is not None and (not isinstance(part, BodyPartReader) or part.name != "media"):
        part = await reader.next()
    if part is None:
        raise ApiError(44001)
    filename = part.filename or ""
    content_type = part.headers.get("Content-Type", "")
    head, size = b"", 0
    while chunk := await part.read_chunk(64 * 1024):
        if len(head) < 16:
            head = (head + chunk)[:16]
        size += len(chunk)
    ctx.upload = {
        "field": "media",
        "filename": filename,
        "content_type": content_type,
        "size": size,
    }
    if not size:
        raise ApiError(44001)
    if size <= MIN_SIZE:
        raise ApiError(40006, f"file size must be larger than {MIN_SIZE} bytes")
    if size > LIMITS[kind]:
        raise ApiError(TOO_BIG[kind], f"{kind} size exceed max {LIMITS[kind]} bytes")
    error = _format_error(kind, head)
    if error is not None:
        raise error
    media_id = "3" + ctx.state.new_id("", 63)
    media = Media(media_id, kind, filename, size, int(ctx.now), attachment_type)
    ctx.state.media[media_id] = media
    return media


def media_ok(media: dict[str, Media], media_id: str, kind: str, now: float) -> bool:
    """Whether `media_id` is a live upload usable as `kind` (image, voice, video, file)."""
    item = media.get(media_id)
    if item is None or now - item.created_at >= MEDIA_LIFETIME:
        return False
    return item.type == kind
