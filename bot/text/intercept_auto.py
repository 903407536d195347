"""WeCom's intercept rules (事前拦截) follow the library by themselves, seconds after a change.

Every change of the word library (admin chat, CLI, configuration import) bumps its version.
The bot's periodic `tick` notices a version it has not synced, waits until the library has been
quiet for `DEBOUNCE_SECONDS` (an import of 10,000 words or five quick chat edits make one sync,
not many), then syncs under a Redis lock, so one process at a time writes the rules (the CLI's
`words sync` takes the same lock). A failure is kept with its reason and retried with a growing
delay; the state (pending, synced version and time, last error, next try) is what `scrm-bot
words list` and 敏感词 列表 show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.clock import corp_clock
from bot.keys import RedisKeys
from bot.storage.locks import LockTimeout, RedisLock
from bot.text.intercept_sync import SyncReport, sync_intercept_rules
from bot.text.library import WordLibrary
from bot.wecom import WeComError
from bot.wecom.api.intercept import InterceptAPI

DEBOUNCE_SECONDS = 5.0  # the library must be this quiet before a sync
CHECK_SECONDS = 2.0  # how often each process looks
RETRY_FIRST, RETRY_MAX = 10.0, 600.0  # seconds before the next try after a failure, doubling
LOCK_TTL = 120  # a sync of 100 rules is ~200 calls; WeCom answers each in well under a second


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where the intercept rules stand against the library."""

    library_version: int = 0
    synced_version: int = 0
    synced_at: float = 0.0
    words: int = 0  # block words in WeCom after the last sync
    rejected: int = 0  # words WeCom can't take (over 32 characters, or the rules are full)
    error: str = ""
    retry_at: float = 0.0
    attempts: int = 0
    seen_version: int | None = None  # the version whose quiet period runs (None: none yet)
    seen_at: float = 0.0  # when that version was first seen

    @property
    def pending(self) -> bool:
        return self.library_version != self.synced_version

    def as_dict(self) -> dict[str, object]:
        return {
            "pending": self.pending,
            "library_version": self.library_version,
            "synced_version": self.synced_version,
            "synced_at": corp_clock(self.synced_at) if self.synced_at else "",
            "words": self.words,
            "rejected": self.rejected,
            "error": self.error,
            "retry_at": corp_clock(self.retry_at) if self.error else "",
        }

    def describe(self) -> str:
        """One line for people, times in the corp clock."""
        head = "企业微信事前拦截："
        if self.pending and self.error:
            when = corp_clock(self.retry_at, "%H:%M")
            return f"{head}同步失败（{self.error}），{when} 自动重试（第 {self.attempts} 次失败）"
        if self.pending:
            return f"{head}有改动待同步（改动停止约 {DEBOUNCE_SECONDS:.0f} 秒后自动同步）"
        done = f"已同步（{corp_clock(self.synced_at, '%m-%d %H:%M')}，{self.words} 个拦截词"
        extra = (
            f"，{self.rejected} 个词企业微信不收，见 scrm-bot words sync" if self.rejected else ""
        )
        return f"{head}{done}{extra}）"


async def read_state(redis: Redis, keys: RedisKeys) -> SyncState:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(keys.words_version)
        pipe.hgetall(keys.intercept_sync)
        version, raw = await pipe.execute()
    return SyncState(
        library_version=int(version or 0),
        synced_version=int(raw.get("synced_version", 0)),
        synced_at=float(raw.get("synced_at", 0)),
        words=int(raw.get("words", 0)),
        rejected=int(raw.get("rejected", 0)),
        error=str(raw.get("error", "")),
        retry_at=float(raw.get("retry_at", 0)),
        attempts=int(raw.get("attempts", 0)),
        seen_version=int(raw["seen_version"]) if "seen_version" in raw else None,
        seen_at=float(raw.get("seen_at", 0)),
    )


class InterceptSyncer:
    """Syncs the library's block words to WeCom when they changed: debounced, locked, retried."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: InterceptAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api

    async def tick(self, now: float | None = None) -> SyncReport | None:
        """The periodic check: a sync once the library is quiet and a retry is due."""
        now = time.time() if now is None else now
        state = await read_state(self._redis, self._keys)
        if not state.pending:
            return None
        if state.seen_version != state.library_version:
            # the first sight of this version starts its quiet period (a later change restarts it)
            mapping = {"seen_version": state.library_version, "seen_at": now}
            await self._redis.hset(self._keys.intercept_sync, mapping=mapping)
            return None
        if now - state.seen_at < DEBOUNCE_SECONDS or now < state.retry_at:
            return None
        try:
            return await self.sync_now(wait=0, now=now)
        except LockTimeout:
            return None  # another process is syncing
        except WeComError:
            return None  # kept in the state, retried later

    async def sync_now(self, *, wait: float = 25.0, now: float | None = None) -> SyncReport:
        """Sync under the lock and record the outcome; raises `WeComError` (recorded too)."""
        async with RedisLock(self._redis, self._keys.intercept_sync_lock, ttl=LOCK_TTL, wait=wait):
            snapshot = await WordLibrary(self._redis, self._keys).snapshot()
            try:
                report = await sync_intercept_rules(snapshot, self._api, self._redis, self._keys)
            except WeComError as exc:
                await self._failed(exc, time.time() if now is None else now)
                raise
        await self._redis.hset(
            self._keys.intercept_sync,
            mapping={
                "synced_version": snapshot.version,
                "synced_at": time.time(),
                "words": report.words,
                "rejected": len(report.rejected),
                "error": "",
                "retry_at": 0,
                "attempts": 0,
            },
        )
        return report

    async def _failed(self, exc: WeComError, now: float) -> None:
        attempts = int(await self._redis.hincrby(self._keys.intercept_sync, "attempts", 1))
        delay = min(RETRY_MAX, RETRY_FIRST * 2 ** (attempts - 1))
        reason = f"{exc.errcode} {exc.explanation}" if exc.explanation else str(exc.errcode)
        mapping = {"error": reason[:200], "retry_at": now + delay}
        await self._redis.hset(self._keys.intercept_sync, mapping=mapping)
