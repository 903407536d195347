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

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.wecom import WeComError
from bot.wecom.api.user import UserAPI

FRESH_SECONDS = 86400.0  # moving staff between departments is rare; a day's lag is acceptable
LOOKUP_SECONDS = 2.0

log = logging.getLogger(__name__)


class StaffDirectory:
    """Cached staff → department ids (the main department first)."""

    def __init__(self, redis: Redis, keys: RedisKeys, users: UserAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._users = users

    async def departments(self, userid: str, budget: float = LOOKUP_SECONDS) -> list[int]:
        cached = await self._redis.hget(self._keys.staff_departments, userid)
        known: list[int] | None = None
        if cached:
            entry = json.loads(cached)
            known = [int(d) for d in entry["departments"]]
            if time.time() - float(entry["at"]) < FRESH_SECONDS:
                return known
        try:
            async with asyncio.timeout(budget):
                member = await self._users.get(userid)
        except (WeComError, TimeoutError) as exc:
            log.info("departments of %s not available: %s", userid, exc)
            return known or []
        found = _main_first(member.get("department", []), member.get("main_department"))
        entry_json = json.dumps({"departments": found, "at": time.time()})
        await self._redis.hset(self._keys.staff_departments, userid, entry_json)
        return found

    async def forget(self, userid: str) -> None:
        """Drop a cached answer, e.g. when WeCom reports the member changed."""
        await self._redis.hdel(self._keys.staff_departments, userid)


def _main_first(departments: list[object], main: object) -> list[int]:
    ids = [int(str(d)) for d in departments]
    if main is not None and int(str(main)) in ids:
        ids.remove(int(str(main)))
        ids.insert(0, int(str(main)))
    return ids
