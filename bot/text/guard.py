"""Where the filter is enforced: outgoing text is refused, incoming text is logged and alerted.

Every text the system stores or sends (welcome templates, scripts, SOP content, admin edits)
goes through `check_outgoing`, which raises `BlockedText` naming the hits. Chat text that comes
in (customer-service messages, app messages, chat-archive ingest) goes through
`inspect_incoming`: each hit is logged to a Redis stream, and admins get one alert per sender
and word an hour.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.text.categories import CATEGORY_NAMES
from bot.text.filter import Hit, SensitiveFilter, masked

SOURCE_NAMES = {"kf": "微信客服", "app": "应用消息", "ingest": "聊天记录", "archive": "会话存档"}
ALERT_EVERY_SECONDS = 3600
INLINE_SCAN_CHARS = 2000  # longer chat text is matched in a thread (see off_loop_if_long)
HIT_LOG_MAXLEN = 100_000
Notify = Callable[[str], Awaitable[None]]
T = TypeVar("T")


async def off_loop_if_long(match: Callable[[str], T], text: str) -> T:
    """`match(text)`, in a thread for a long text: matching is linear, but with many hits a
    long message could hold the event loop for longer than a WeCom answer may wait."""
    if len(text) <= INLINE_SCAN_CHARS:
        return match(text)
    return await asyncio.to_thread(match, text)


def describe(hits: list[Hit]) -> str:
    """「微信」（竞品）、「最好」（广告法极限词） — for messages to admins and staff."""
    return "、".join(
        f"「{hit.text}」（{CATEGORY_NAMES.get(hit.category, hit.category)}）" for hit in hits
    )


class BlockedText(ValueError):
    """Text refused because it contains words whose action is block; `hits` names them."""

    def __init__(self, hits: list[Hit]) -> None:
        super().__init__(f"内容含有禁止使用的词：{describe(hits)}，请修改后再保存或发送。")
        self.hits = hits


class TextGuard:
    """The enforcement points, reading whatever filter `current` returns at call time."""

    def __init__(
        self,
        current: Callable[[], SensitiveFilter],
        redis: Redis,
        keys: RedisKeys,
        notify_admins: Notify | None = None,
        version: Callable[[], int] | None = None,
    ) -> None:
        self._current = current
        # the library version `current` was built from, when known (the reloader's)
        self.version = version
        self._redis = redis
        self._keys = keys
        self._notify_admins = notify_admins

    def scan(self, text: str) -> list[Hit]:
        return self._current().scan(text)

    def check_outgoing(self, text: str) -> list[Hit]:
        """Raise `BlockedText` if `text` may not be stored or sent; else the other hits."""
        hits = self.scan(text)
        blocked = [hit for hit in hits if hit.action == "block"]
        if blocked:
            raise BlockedText(blocked)
        return hits

    def outgoing(self, text: str) -> str:
        """`text` as it may leave the bot, checked with the library as it is now: raises
        `BlockedText` for a block word, stars mask words, leaves flag words alone."""
        hits = self.check_outgoing(text)
        return masked(text, hits, ("mask",)) if hits else text

    def quoted(self, text: str) -> str:
        """Stored content as an admin reply quotes it: block and mask words starred (a word
        blocked since the content was saved must not leave the bot, even to an admin)."""
        hits = self.scan(text)
        return masked(text, hits, ("block", "mask")) if hits else text

    async def inspect_incoming(
        self, text: str, source: str, sender: str, who: Callable[[], Awaitable[str]] | None = None
    ) -> list[Hit]:
        """Log the hits in chat text from `sender` (via `source`) and alert admins once; the
        alert names the sender as `who` says (looked up only when an alert goes out)."""
        hits = await off_loop_if_long(self.scan, text)
        if not hits:
            return hits
        await self._redis.xadd(
            self._keys.text_hits,
            {
                "source": source,
                "sender": sender,
                "time": str(int(time.time())),
                "hits": json.dumps([hit.as_dict() for hit in hits], ensure_ascii=False),
                "text": text[:1000],
            },
            maxlen=HIT_LOG_MAXLEN,
            approximate=True,
        )
        if self._notify_admins is None:
            return hits
        words = sorted({hit.word for hit in hits})
        fingerprint = hashlib.sha256(f"{source}|{sender}|{words}".encode()).hexdigest()[:24]
        if await self._redis.set(
            self._keys.text_alert(fingerprint), "1", nx=True, ex=ALERT_EVERY_SECONDS
        ):
            excerpt = text if len(text) <= 200 else text[:200] + "…"
            named = await who() if who else sender
            await self._notify_admins(
                f"【敏感词提醒】{named} 在{SOURCE_NAMES.get(source, source)}中发来的消息含有"
                f"{describe(hits)}：\n{excerpt}"
            )
        return hits


async def hits_by_category(
    redis: Redis, keys: RedisKeys, since: float, most: int = 20_000
) -> tuple[dict[str, int], bool]:
    """Sensitive-word hits in chat text since `since` (Unix time), per category, from the hit
    log; and whether the count stopped at `most` entries (the log's newest are read first)."""
    counts: dict[str, int] = {}
    end, read = "+", 0
    start = f"{int(since * 1000)}-0"
    while read < most:
        rows = await redis.xrevrange(keys.text_hits, end, start, count=500)
        if not rows:
            return counts, False
        for entry_id, fields in rows:
            read += 1
            end = f"({entry_id}"
            try:
                hits = json.loads(fields.get("hits") or "[]")
            except ValueError:
                continue
            for category in {str(hit.get("category", "")) for hit in hits if isinstance(hit, dict)}:
                counts[category] = counts.get(category, 0) + 1
    return counts, True
