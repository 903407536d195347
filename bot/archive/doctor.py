"""`scrm-bot doctor`'s chat-archive check: the SDK file, the private keys, Init with the
archive secret, and one GetChatData from the saved seq — when the archive is configured."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.archive.keys import ArchiveKeys
from bot.archive.sdk import ArchiveSdk, SdkError
from bot.config import Settings
from bot.keys import RedisKeys

NAME = "会话存档"


async def check_archive(redis: Redis, settings: Settings) -> tuple[str, bool, str] | None:
    """(name, ok, detail), or None when no SDK is configured (the archive is optional)."""
    if settings.archive_sdk is None:
        return None
    if not settings.archive_sdk.is_file():
        return NAME, False, f"找不到 SDK 文件 {settings.archive_sdk}（SCRM_ARCHIVE_SDK）"
    if not settings.archive_secret:
        return NAME, False, "未设置会话内容存档应用的 Secret（SCRM_ARCHIVE_SECRET）"
    keys = ArchiveKeys.from_directory(settings.archive_keys) if settings.archive_keys else None
    if keys is None or not keys.versions:
        return NAME, False, "没有私钥：在 SCRM_ARCHIVE_KEYS 目录放入 <版本号>.pem"
    seq = int(await redis.get(RedisKeys(settings.corp_id, settings.key_prefix).archive_seq) or 0)
    try:
        sdk = await asyncio.to_thread(
            ArchiveSdk, settings.archive_sdk, settings.corp_id, settings.archive_secret
        )
        try:
            items = await asyncio.to_thread(sdk.chat_data, seq, 1)
        finally:
            sdk.close()
    except SdkError as exc:
        return NAME, False, f"SDK 调用失败：{exc}"
    versions = "、".join(str(v) for v in keys.versions)
    waiting = "有新消息待拉取" if items else "已拉取到最新"
    return NAME, True, f"私钥版本 {versions}；已拉取到 seq {seq}，{waiting}"
