"""Temporary media upload: `media/upload` (doc 90253), and attachments for moments and mass
messages: `media/upload_attachment` (doc 95098); media ids live 3 days."""

from __future__ import annotations

import aiohttp

from bot.wecom.api.base import BaseAPI

MEDIA_TYPES = ("image", "voice", "video", "file")


class MediaAPI(BaseAPI):
    """Uploads files for welcome attachments and app messages."""

    async def upload(self, media_type: str, filename: str, content: bytes) -> str:
        """Upload one file; returns its `media_id`."""
        if media_type not in MEDIA_TYPES:
            raise ValueError(f"media_type must be one of {MEDIA_TYPES}")

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("media", content, filename=filename)
            return data

        result = await self._upload("media/upload", form, type=media_type)
        return str(result["media_id"])

    async def upload_attachment(
        self, media_type: str, filename: str, content: bytes, attachment_type: int = 2
    ) -> str:
        """Upload an attachment for moments (attachment_type 2) or mass messages (1), the only
        media ids moments take (doc 95098); returns its `media_id`."""
        if media_type not in ("image", "video", "file"):
            raise ValueError("media_type must be image, video or file")

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("media", content, filename=filename)
            return data

        result = await self._upload(
            "media/upload_attachment", form, media_type=media_type, attachment_type=attachment_type
        )
        return str(result["media_id"])
