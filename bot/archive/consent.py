"""Who agreed to be archived (同意存档), as WeCom says (doc 91782), each answer cached a day: the
one writer of `archive:consent` and `archive:roomconsent`.

A 1:1 message is kept when its customer agreed with that member (`check_single_agree`). In a
group, a customer's message is kept when that customer agreed in that group
(`check_room_agree`); a member's own message is kept (members are archived by licence, not by
consent). Nothing we can't show consent for is stored. The hourly sweep drops cached answers
older than a day, so the cache holds only the pairs and groups of the last day's messages.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from redis.asyncio import Redis

from bot.archive.messages import Parties
from bot.keys import RedisKeys
from bot.wecom import WeComError
from bot.wecom.api.archive import MAX_PAIRS, ArchiveAPI

CACHE_SECONDS = 86400
log = logging.getLogger(__name__)
T = TypeVar("T")


class Consent:
    """Which of a batch's messages may be kept."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: ArchiveAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api

    async def kept(self, said: Sequence[Parties]) -> list[bool]:
        pairs = sorted({(p.member, p.customer) for p in said if not p.room})
        rooms = sorted({p.room for p in said if p.room and p.from_customer})
        single = await self._singles(pairs)
        grouped = await self._rooms(rooms)
        return [
            (p.customer in grouped.get(p.room, set()) if p.from_customer else True)
            if p.room
            else single.get((p.member, p.customer), False)
            for p in said
        ]

    async def _singles(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        key = self._keys.archive_consent
        cached = await self._cached(key, [f"{u}|{c}" for u, c in pairs])
        known = {p: bool(s) for p, s in zip(pairs, cached, strict=True) if s is not None}
        ask = [p for p in pairs if p not in known]
        for start in range(0, len(ask), MAX_PAIRS):
            chunk = ask[start : start + MAX_PAIRS]
            answers = await _or_nobody(self._api.agreed(chunk), dict, f"{len(chunk)} 对")
            fresh = {p: answers.get(p, False) for p in chunk}
            await self._keep(key, {f"{u}|{c}": a for (u, c), a in fresh.items()})
            known |= fresh
        return known

    async def _rooms(self, rooms: list[str]) -> dict[str, set[str]]:
        key = self._keys.archive_room_consent
        cached = await self._cached(key, rooms)
        known = {r: set(s) for r, s in zip(rooms, cached, strict=True) if isinstance(s, list)}
        fresh = {
            room: await _or_nobody(self._api.room_agreed(room), set, f"群 {room}")
            for room in rooms
            if room not in known
        }
        if fresh:
            await self._keep(key, {room: sorted(agreed) for room, agreed in fresh.items()})
            known |= fresh
        return known

    async def _cached(self, key: str, fields: list[str]) -> list[object | None]:
        """Each field's cached answer, None when absent or older than a day."""
        if not fields:
            return []
        now = time.time()
        out: list[object | None] = []
        for raw in await self._redis.hmget(key, fields):
            said = json.loads(raw) if raw else None
            fresh = isinstance(said, dict) and now - float(said.get("at", 0)) < CACHE_SECONDS
            out.append(said.get("v") if fresh else None)  # type: ignore[union-attr]
        return out

    async def _keep(self, key: str, answers: dict[str, object]) -> None:
        now = int(time.time())
        mapping = {f: json.dumps({"v": v, "at": now}) for f, v in answers.items()}
        await self._redis.hset(key, mapping=mapping)


async def _or_nobody(asked: Awaitable[T], nobody: Callable[[], T], what: str) -> T:
    try:
        return await asked
    except WeComError as exc:
        if exc.retryable:
            raise
        log.warning("archive consent of %s not given by WeCom, not kept: %s", what, exc)
        return nobody()


async def forget_stale(redis: Redis, keys: RedisKeys, now: float | None = None) -> int:
    """Drop cached consent answers older than a day (the hourly sweep); how many."""
    now = time.time() if now is None else now
    dropped = 0
    for key in (keys.archive_consent, keys.archive_room_consent):
        stale = [
            field
            async for field, raw in redis.hscan_iter(key)
            if now - json.loads(raw)["at"] >= CACHE_SECONDS
        ]
        for start in range(0, len(stale), 500):
            dropped += int(await redis.hdel(key, *stale[start : start + 500]))
    return dropped
