"""The archive pull of a process: the SDK opened once (when the settings name one), a round
run by one process at a time — every minute, and whenever WeCom says there is news
(`msgaudit_notify`)."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from bot.archive.consent import forget_stale
from bot.archive.keys import ArchiveKeys
from bot.archive.media import cache_of, expire_cache
from bot.archive.puller import ArchivePuller, PullReport
from bot.archive.sdk import ArchiveSdk, SdkError
from bot.archive.store import ArchiveStore
from bot.context import HandlerContext
from bot.periodic import PeriodicWork
from bot.services import Services
from bot.storage.locks import LockTimeout, RedisLock

ROUND_SECONDS = 60.0
SWEEP_SECONDS = 3600.0
log = logging.getLogger(__name__)
_pullers: weakref.WeakKeyDictionary[Services, ArchivePuller] = weakref.WeakKeyDictionary()


def configured(ctx: HandlerContext) -> bool:
    s = ctx.settings
    return bool(s.archive_sdk and s.archive_secret and s.archive_keys)


def puller_for(ctx: HandlerContext) -> ArchivePuller:
    """This process's puller (the SDK loaded and initialised on first use)."""
    services = ctx.services
    if services not in _pullers:
        s = ctx.settings
        assert s.archive_sdk is not None and s.archive_keys is not None
        sdk = ArchiveSdk(s.archive_sdk, s.corp_id, s.archive_secret)
        _pullers[services] = ArchivePuller(ctx, sdk, ArchiveKeys.from_directory(s.archive_keys))
    return _pullers[services]


async def pull_once(ctx: HandlerContext) -> PullReport | None:
    """One round unless another process is pulling (None then, or when not configured)."""
    if not configured(ctx):
        return None
    try:
        async with RedisLock(ctx.redis, ctx.keys.archive_lock, ttl=300, wait=0):
            report = await puller_for(ctx).pull()
    except LockTimeout:
        return None
    except SdkError as exc:  # Init failed: the secret or the SDK file is wrong
        log.warning("chat archive not pulled: %s", exc)
        return None
    if report.stopped and report.stopped != "more next round":
        log.warning("chat archive pull stopped at seq %d: %s", report.seq, report.stopped)
    return report


async def sweep(ctx: HandlerContext, now: float | None = None) -> int:
    """Delete archived messages (and their cached files) past the retention setting, and
    consent answers older than a day; how many messages."""
    keep = ctx.settings.archive_retention_days * 86400
    before = int((time.time() if now is None else now) - keep)
    await asyncio.to_thread(expire_cache, cache_of(ctx.settings), before)
    await forget_stale(ctx.redis, ctx.keys, now)
    return await ArchiveStore(ctx.redis, ctx.keys).expire(before)


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    if not configured(ctx):
        return []
    return [
        PeriodicWork("archive-pull", ROUND_SECONDS, lambda: pull_once(ctx)),
        PeriodicWork("archive-retention", SWEEP_SECONDS, lambda: sweep(ctx), ctx.keys.archive_lock),
    ]
