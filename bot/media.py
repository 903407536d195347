"""Files admins attach (images, videos, files), kept in Redis and re-uploaded before they expire.

WeCom's temporary media ids live three days, but a welcome template lives for months. The file
itself is stored once (content-addressed, so the same poster is kept once), uploaded when it
is attached, and uploaded again by a periodic job before the id runs out. A template refers to
the file by its `media_ref`; the current `media_id` is looked up when a message goes out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis

from bot.context import HandlerContext
from bot.errors import UserError
from bot.keys import RedisKeys
from bot.periodic import PeriodicWork
from bot.wecom import WeComError
from bot.wecom.api.media import MediaAPI

MB = 1024 * 1024
LIMITS = {"image": 10 * MB, "video": 10 * MB, "file": 20 * MB}  # doc 90253
MEDIA_LIFETIME = 3 * 86400.0
REFRESH_AFTER = 2.5 * 86400.0  # half a day of slack for a failed or late refresh

log = logging.getLogger(__name__)


class MediaError(UserError, ValueError):
    """A file that can't be attached; the message says why, in Chinese."""


def check_file(kind: str, filename: str, content: bytes) -> None:
    """WeCom's upload rules, checked before anything is stored: size and format by magic bytes."""
    if kind not in LIMITS:
        raise MediaError(f"附件类型只能是 {'/'.join(LIMITS)}，而不是「{kind}」")
    if len(content) <= 5:
        raise MediaError(f"文件 {filename} 太小（企业微信要求大于 5 字节）")
    if len(content) > LIMITS[kind]:
        raise MediaError(
            f"文件 {filename} 有 {len(content) / MB:.1f} MB，超过企业微信 {kind} 的 "
            f"{LIMITS[kind] // MB} MB 上限"
        )
    if kind == "image" and not content.startswith((b"\xff\xd8\xff", b"\x89PNG")):
        raise MediaError(f"图片 {filename} 不是 JPG 或 PNG")
    if kind == "video" and content[4:8] != b"ftyp":
        raise MediaError(f"视频 {filename} 不是 MP4")


class MediaGone(RuntimeError):
    """WeCom no longer knows a media id we sent; not a WeCom error, so the pipeline retries."""


class MediaLibrary:
    """Stores attached files and hands out a live `media_id` for each."""

    def __init__(
        self, redis: Redis, keys: RedisKeys, api: MediaAPI, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api
        self._clock = clock  # tests put the sandbox's clock here

    async def add(self, kind: str, filename: str, content: bytes) -> str:
        """Check, keep and upload a file; returns its `media_ref`. WeCom errors propagate."""
        check_file(kind, filename, content)
        ref = f"{kind}-{hashlib.sha256(content).hexdigest()[:32]}"
        await self._redis.hset(
            self._keys.media_blob(ref),
            mapping={
                "kind": kind,
                "filename": filename,
                "data": base64.b64encode(content).decode(),
            },
        )
        await self._upload(ref)
        return ref

    async def content(self, ref: str) -> bytes | None:
        """The stored file of `ref`, or None when it is not in the library."""
        data = await self._redis.hget(self._keys.media_blob(ref), "data")
        return base64.b64decode(data) if data else None

    async def exists(self, ref: str) -> bool:
        return bool(await self._redis.exists(self._keys.media_blob(ref)))

    async def media_id(self, ref: str) -> str:
        """The current media id of `ref`, uploading first when there is none still alive."""
        cached = await self._redis.hget(self._keys.media_ids, ref)
        if cached:
            entry = json.loads(cached)
            if self._clock() - float(entry["uploaded_at"]) < MEDIA_LIFETIME - 600:
                return str(entry["media_id"])
        return await self._upload(ref)

    async def forget(self, refs: set[str]) -> None:
        """Drop the cached ids of `refs`, so their next use uploads the files again."""
        if refs:
            await self._redis.hdel(self._keys.media_ids, *sorted(refs))

    async def refresh_due(self) -> int:
        """Re-upload every file whose id is past `REFRESH_AFTER`; returns how many were."""
        refreshed = 0
        now = self._clock()
        for ref, cached in (await self._redis.hgetall(self._keys.media_ids)).items():
            if now - float(json.loads(cached)["uploaded_at"]) < REFRESH_AFTER:
                continue
            try:
                await self._upload(ref)
                refreshed += 1
            except (WeComError, MediaError) as exc:  # the next run tries again
                log.warning("re-upload of %s failed: %s", ref, exc)
        return refreshed

    async def _upload(self, ref: str) -> str:
        blob = await self._redis.hgetall(self._keys.media_blob(ref))
        if not blob:
            await self._redis.hdel(self._keys.media_ids, ref)
            raise MediaError(f"附件 {ref} 的文件已不在库中，请重新上传")
        content = base64.b64decode(blob["data"])
        media_id = await self._api.upload(blob["kind"], blob["filename"], content)
        entry = json.dumps({"media_id": media_id, "uploaded_at": self._clock()})
        await self._redis.hset(self._keys.media_ids, ref, entry)
        return media_id


MEDIA_REFRESH_SECONDS = 3600.0


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    """Media ids live 3 days: files are uploaded again after 2.5, by one process a round."""
    media = ctx.services.media
    return [
        PeriodicWork(
            "media-refresh",
            MEDIA_REFRESH_SECONDS,
            media.refresh_due,
            ctx.keys.media_lock,
            lock_ttl=3000,
        )
    ]
