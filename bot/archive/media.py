"""An archived message's file, for an admin who opened it: fetched from WeCom through the SDK
(never before — most files are never looked at), checked against the message's MD5, and kept in
a disk cache (`<data dir>/archive-media`, at most `CACHE_BYTES`, the oldest dropped first) so a
second look costs nothing. A file larger than `SCRM_ARCHIVE_MEDIA_MAX_MB` is refused before any
call, and the SDK read stops at that size whatever the message claimed.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.archive.messages import Media
from bot.archive.puller import ArchivePuller
from bot.archive.sdk import SdkError
from bot.config import Settings

MB = 1024 * 1024
CACHE_BYTES = 512 * MB
TYPES = {"video": "video/mp4", "voice": "audio/amr"}  # the archive's formats (doc 91774)
MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"), (b"GIF8", "image/gif"))


class MediaUnavailable(Exception):
    """The file can't be shown: `status` (404, 413, 502, 503) and a Chinese reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A fetched file and how to send it to the browser."""

    content: bytes
    content_type: str
    inline: bool  # shown in the page (images, video) rather than downloaded
    filename: str


def cache_of(settings: Settings) -> Path:
    return settings.data_dir / "archive-media"


async def open_media(
    settings: Settings, puller: ArchivePuller | None, media: Media, at: int
) -> MediaFile:
    """The file of a message sent at `at` (the cache file is named by it, for the retention);
    `puller` is None when the archive isn't configured."""
    most = settings.archive_media_max_mb * MB
    if media.size > most:
        limit = settings.archive_media_max_mb
        raise MediaUnavailable(413, f"文件有 {media.size / MB:.1f} MB，超过 {limit} MB 的上限")
    cache = cache_of(settings)
    path = cache / f"{at}-{hashlib.sha256(media.fileid.encode()).hexdigest()[:40]}"
    content = await asyncio.to_thread(_read, path)
    if content is None:
        content = await _fetch(puller, media, most)
        await asyncio.to_thread(_write, cache, path, content)
    return _as_file(media, content)


async def _fetch(puller: ArchivePuller | None, media: Media, most: int) -> bytes:
    if puller is None:
        raise MediaUnavailable(503, "没有配置会话存档（SCRM_ARCHIVE_SDK 等），无法取文件")
    for _ in range(2):  # the docs warn a download can come back damaged: once more, then give up
        try:
            content = await puller.media(media, most)
        except SdkError as exc:
            if exc.code == 10000:
                raise MediaUnavailable(413, "文件超过大小上限") from None
            raise MediaUnavailable(502, f"从企业微信取文件失败：{exc}") from None
        if not media.md5 or hashlib.md5(content).hexdigest() == media.md5.lower():
            return content
    raise MediaUnavailable(502, "取到的文件和消息里的校验值不符，请稍后再试")


def _as_file(media: Media, content: bytes) -> MediaFile:
    sniffed = next((kind for magic, kind in MAGIC if content.startswith(magic)), "")
    if media.kind in ("image", "emotion"):
        kind = sniffed or "application/octet-stream"
        return MediaFile(content, kind, bool(sniffed), f"{media.kind}.{kind.rsplit('/', 1)[-1]}")
    if media.kind == "video":
        return MediaFile(content, TYPES["video"], True, "video.mp4")
    if media.kind == "voice":
        return MediaFile(content, TYPES["voice"], False, "voice.amr")
    return MediaFile(content, "application/octet-stream", False, media.name or "file")


def _read(path: Path) -> bytes | None:
    try:
        content = path.read_bytes()
        os.utime(path)  # recently opened: dropped last
    except OSError:  # not cached, or dropped by another process's trim just now
        return None
    return content


def _write(cache: Path, path: Path, content: bytes) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache, delete=False, prefix=".part-") as out:
        out.write(content)
    os.replace(out.name, path)  # whole or not at all: a crash leaves no half file to serve
    trim_cache(cache, CACHE_BYTES)


def trim_cache(cache: Path, most: int) -> None:
    """Drop the least recently opened files until the cache holds at most `most` bytes."""
    files = []
    for entry in cache.iterdir():
        if entry.name.startswith(".part-"):
            continue
        try:
            stat = entry.stat()
        except OSError:  # another process's trim got there first
            continue
        files.append((stat.st_mtime, stat.st_size, entry))
    files.sort()
    total = sum(size for _, size, _ in files)
    for _, size, entry in files:
        if total <= most:
            return
        entry.unlink(missing_ok=True)
        total -= size


def expire_cache(cache: Path, before: int) -> int:
    """Delete cached files of messages sent before `before` (past the retention); how many."""
    if not cache.is_dir():
        return 0
    removed = 0
    stale_parts = time.time() - 86400  # a download a crash left half-written
    for entry in cache.iterdir():
        sent, _, _ = entry.name.partition("-")
        old = sent.isdigit() and int(sent) < before
        if entry.name.startswith(".part-"):
            old = entry.stat().st_mtime < stale_parts
        if entry.is_file() and old:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
