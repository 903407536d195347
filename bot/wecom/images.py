"""Images WeCom hosts (a channel's or a group live code's QR code), fetched bounded in time and
size, and only from WeCom's image hosts — or, in the demo and tests, the sandbox serving the API
— so a stored URL can't make the bot fetch from anywhere else."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp

IMAGE_BYTES = 1024 * 1024
IMAGE_SECONDS = 5.0
IMAGE_HOSTS = ("qpic.cn",)  # WeCom's image hosts: wework.qpic.cn, p.qpic.cn …


class ImageUnavailable(Exception):
    """The image could not be fetched; the message says why, in Chinese."""


def image_host_ok(url: str, api_base: str) -> bool:
    """Only WeCom's image hosts (or, in the demo and tests, the sandbox serving the API)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    on_wecom = any(host == known or host.endswith("." + known) for known in IMAGE_HOSTS)
    return on_wecom or parts.netloc == urlsplit(api_base).netloc


async def fetch_image(session: aiohttp.ClientSession, url: str, api_base: str) -> tuple[bytes, str]:
    """(content, content type) of the image at `url`; `ImageUnavailable` otherwise."""
    if not url or not image_host_ok(url, api_base):
        raise ImageUnavailable("不是企业微信的图片地址")
    timeout = aiohttp.ClientTimeout(total=IMAGE_SECONDS)
    try:
        async with session.get(url, allow_redirects=False, timeout=timeout) as answer:
            if answer.status != 200 or not answer.content_type.startswith("image/"):
                raise ImageUnavailable("二维码图片暂时取不到，请稍后重试")
            body = await answer.content.read(IMAGE_BYTES + 1)
            kind = answer.content_type
    except (aiohttp.ClientError, TimeoutError):
        raise ImageUnavailable("二维码图片暂时取不到，请稍后重试") from None
    if len(body) > IMAGE_BYTES:
        raise ImageUnavailable("二维码图片过大")
    return body, kind
