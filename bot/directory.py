"""Which departments a staff member belongs to, read from WeCom once a day and kept in Redis.

Welcome templates (and later SOP audiences) can target a department. The answer must come fast
inside the welcome window, so a cached answer is used while fresh, a stale one when WeCom does
not answer within the budget, and no departments at all when neither is at hand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.wecom import WeComError
from bot.wecom.api.user import UserAPI
from bot.wecom.errors import ErrCode

FRESH_SECONDS = 86400.0  # moving staff between departments is rare; a day's lag is acceptable
LOOKUP_SECONDS = 2.0
NO_SUCH_MEMBER = frozenset({ErrCode.INVALID_USERID, ErrCode.NO_SUCH_MEMBER, ErrCode.NO_SUCH_USER})
CANT_TELL = frozenset({ErrCode.OUTSIDE_VISIBLE_RANGE})  # exists or not: WeCom decides
CONCURRENT_LOOKUPS = 8

log = logging.getLogger(__name__)


class CachedAnswers:
    """What WeCom said about each member, group… (one Redis hash of JSON, each answer with the
    time it was read): fresh for FRESH_SECONDS, else asked again within a budget, else the stale
    answer, else None. The lookups that must answer inside the welcome window share this rule."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._redis = redis
        self._key = key

    async def get(
        self, field: str, ask: Callable[[], Awaitable[dict[str, Any]]], budget: float
    ) -> dict[str, Any] | None:
        cached = await self._redis.hget(self._key, field)
        known: dict[str, Any] | None = json.loads(cached) if cached else None
        if known is not None and time.time() - float(known["at"]) < FRESH_SECONDS:
            return known
        try:
            async with asyncio.timeout(budget):
                answer = await ask()
        except (WeComError, TimeoutError) as exc:
            log.info("%s %s not available: %s", self._key, field, exc)
            return known
        return await self.put(field, answer)

    async def put(self, field: str, answer: dict[str, Any]) -> dict[str, Any]:
        entry = {**answer, "at": time.time()}
        await self._redis.hset(self._key, field, json.dumps(entry, ensure_ascii=False))
        return entry

    async def forget(self, field: str) -> None:
        await self._redis.hdel(self._key, field)


class StaffDirectory:
    """Cached staff → name and department ids (the main department first)."""

    def __init__(self, redis: Redis, keys: RedisKeys, users: UserAPI) -> None:
        self._answers = CachedAnswers(redis, keys.staff_departments)
        self._users = users

    async def departments(self, userid: str, budget: float = LOOKUP_SECONDS) -> list[int]:
        entry = await self._entry(userid, budget)
        return [int(d) for d in entry["departments"]] if entry else []

    async def name(self, userid: str, budget: float = LOOKUP_SECONDS) -> str:
        """The member's name; their user id when WeCom won't say."""
        entry = await self._entry(userid, budget)
        return str(entry.get("name") or userid) if entry else userid

    async def _entry(self, userid: str, budget: float) -> dict[str, Any] | None:
        """What `user/get` said about the member (see `CachedAnswers`)."""

        async def ask() -> dict[str, Any]:
            return _summary(await self._users.get(userid))

        return await self._answers.get(userid, ask, budget)

    async def missing(self, userids: Iterable[str]) -> list[str]:
        """The user ids WeCom says are no member of the corp, in the order given. Asked afresh
        (a cached member may have left since); an answer that can't tell (60011) counts as a
        member, any other error is raised."""
        unique = list(dict.fromkeys(userids))
        limit = asyncio.Semaphore(CONCURRENT_LOOKUPS)

        async def absent(userid: str) -> bool:
            async with limit:
                try:
                    member = await self._users.get(userid)
                except WeComError as exc:
                    if exc.errcode in NO_SUCH_MEMBER:
                        return True
                    if exc.errcode in CANT_TELL:
                        return False
                    raise
            await self._answers.put(userid, _summary(member))
            return False

        found = await asyncio.gather(*(absent(userid) for userid in unique))
        return [userid for userid, gone in zip(unique, found, strict=True) if gone]

    async def forget(self, userid: str) -> None:
        """Drop a cached answer, e.g. when WeCom reports the member changed."""
        await self._answers.forget(userid)


def _summary(member: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a `user/get` answer: departments (the main one first) and the name."""
    departments = _main_first(member.get("department", []), member.get("main_department"))
    return {"departments": departments, "name": str(member.get("name") or "")}


def _main_first(departments: list[object], main: object) -> list[int]:
    ids = [int(str(d)) for d in departments]
    if main is not None and int(str(main)) in ids:
        ids.remove(int(str(main)))
        ids.insert(0, int(str(main)))
    return ids
