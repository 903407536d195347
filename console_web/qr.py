"""A QR code image WeCom keeps (a channel's or a group live code's), fetched for the console
from WeCom's image host — bounded in time and size — to show on a page or download for print."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.appkeys import SETTINGS

QR_BYTES = 1024 * 1024
QR_SECONDS = 5.0
IMAGE_HOSTS = ("qpic.cn",)  # WeCom's image hosts: wework.qpic.cn, p.qpic.cn …
_UNAVAILABLE = "二维码图片暂时取不到，请稍后重试"


def _image_host_ok(url: str, api_base: str) -> bool:
    """Only WeCom's image hosts (or, in the demo and tests, the sandbox serving the API)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    on_wecom = any(host == known or host.endswith("." + known) for known in IMAGE_HOSTS)
    return on_wecom or parts.netloc == urlsplit(api_base).netloc


async def qr_image(request: web.Request, url: str, filename: str) -> web.Response:
    """The image at `url` (WeCom's), as a download named `filename` with `?download=1`."""
    if not url or not _image_host_ok(url, request.config_dict[SETTINGS].wecom_api_base):
        raise web.HTTPNotFound()
    timeout = aiohttp.ClientTimeout(total=QR_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(url, allow_redirects=False) as answer,
        ):
            if answer.status != 200 or not answer.content_type.startswith("image/"):
                raise web.HTTPBadGateway(text=_UNAVAILABLE)
            body = await answer.content.read(QR_BYTES + 1)
            kind = answer.content_type
    except (aiohttp.ClientError, TimeoutError):
        raise web.HTTPBadGateway(text=_UNAVAILABLE) from None
    if len(body) > QR_BYTES:
        raise web.HTTPBadGateway(text="二维码图片过大")
    headers = {"Cache-Control": "private, max-age=300"}
    if request.query.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return web.Response(body=body, content_type=kind, headers=headers)
