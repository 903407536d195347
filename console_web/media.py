"""Images uploaded from the console (welcome, group-welcome and product editors): checked as
WeCom checks them, kept in the media library (`bot.media`) and uploaded to WeCom; the page shows
them through the sidebar's public media route, by their content-hash ref."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.media import MediaError
from bot.wecom import WeComError
from console_web.session_keys import BODY_OF, ConsoleError, said

MAX_IMAGE_BYTES = 2 * 1024 * 1024
UPLOAD_BODY = 3 * 1024 * 1024  # the image as base64 in JSON
PATH = "/console/api/media/image"


async def upload_image(request: web.Request) -> web.Response:
    """`{"name": "a.png", "data": <base64>}` → `{"ref", "url"}`: kept and uploaded to WeCom."""
    data = request[BODY_OF]
    name, encoded = data.get("name"), data.get("data")
    if not isinstance(name, str) or not isinstance(encoded, str) or not encoded:
        raise ConsoleError(400, "请选择一张 JPG 或 PNG 图片")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ConsoleError(400, "图片内容无法读取，请重新选择") from None
    if len(content) > MAX_IMAGE_BYTES:
        raise ConsoleError(413, f"图片不能超过 {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    media = request.config_dict[HANDLER_CONTEXT].services.media
    try:
        ref = await media.add("image", name[:100], content)
    except MediaError as exc:
        return said(str(exc), refused=True)
    except WeComError as exc:
        return said(f"上传失败：错误码 {exc.errcode}：{exc.explanation}", refused=True)
    return said("已上传", ref=ref, url=f"../sidebar/media/{ref}")


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/media/image", upload_image)
