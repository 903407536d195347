"""A QR code image WeCom keeps (a channel's or a group live code's), fetched for the console
(`bot.wecom.images`: WeCom's hosts only, bounded) to show on a page or download for print."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import HTTP, SETTINGS
from bot.wecom.images import ImageUnavailable, fetch_image, image_host_ok


async def qr_image(request: web.Request, url: str, filename: str) -> web.Response:
    """The image at `url` (WeCom's), as a download named `filename` with `?download=1`."""
    api_base = request.config_dict[SETTINGS].wecom_api_base
    if not url or not image_host_ok(url, api_base):
        raise web.HTTPNotFound()
    try:
        body, kind = await fetch_image(request.config_dict[HTTP], url, api_base)
    except ImageUnavailable as exc:
        raise web.HTTPBadGateway(text=str(exc)) from None
    headers = {"Cache-Control": "private, max-age=300"}
    if request.query.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return web.Response(body=body, content_type=kind, headers=headers)
