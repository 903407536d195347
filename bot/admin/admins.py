"""Who may run admin commands: the user ids in SCRM_ADMINS, the direct members of the
departments in SCRM_ADMIN_DEPARTMENTS, and the members of the WeCom contact tags (通讯录标签)
in SCRM_ADMIN_TAGS — someone the tag lists, or a direct member of a department it lists.

A tag's members are read with `tag/get` and kept for TAG_FRESH_SECONDS, so a change to a tag
counts within minutes. When WeCom can't say (an unknown tag, a tag outside the app's visible
range, no answer within LOOKUP_SECONDS) the tag makes nobody an admin, and a line is logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from bot.context import HandlerContext
from bot.wecom import WeComError

TAG_FRESH_SECONDS = 300
LOOKUP_SECONDS = 2.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TagMembers:
    """Whom a contact tag lists: staff user ids and department ids."""

    users: frozenset[str]
    departments: frozenset[int]


class AdminCheck:
    """Answers `is_admin` from the settings, the staff directory and the admin tags."""

    def __init__(self, ctx: HandlerContext) -> None:
        self._ctx = ctx
        self._directory = ctx.services.directory

    async def is_admin(self, userid: str) -> bool:
        settings = self._ctx.settings
        if userid in settings.admins:
            return True
        departments = set(settings.admin_departments)
        for tagid in sorted(settings.admin_tags):
            members = await self.tag_members(tagid)
            if members is None:
                continue
            if userid in members.users:
                return True
            departments |= members.departments
        if not departments:
            return False
        return not departments.isdisjoint(await self._directory.departments(userid))

    async def tag_members(self, tagid: int) -> TagMembers | None:
        """The tag's members: from the cache while fresh, else from WeCom; None (logged) when
        WeCom does not answer them in time."""
        key = self._ctx.keys.admin_tag(tagid)
        cached = await self._ctx.redis.get(key)
        if cached:
            raw = json.loads(cached)
            return TagMembers(frozenset(raw["users"]), frozenset(raw["departments"]))
        try:
            async with asyncio.timeout(LOOKUP_SECONDS):
                answer = await self._ctx.wecom.user.tag_members(tagid)
            members = TagMembers(
                frozenset(str(u["userid"]) for u in answer.get("userlist") or [] if "userid" in u),
                frozenset(int(str(d)) for d in answer.get("partylist") or []),
            )
        except (WeComError, TimeoutError) as exc:
            log.warning(
                "admin tag %s: members not available, nobody is admin by it: %s", tagid, exc
            )
            return None
        except (TypeError, ValueError, AttributeError) as exc:
            log.warning(
                "admin tag %s: unexpected tag/get answer, nobody is admin by it: %s", tagid, exc
            )
            return None
        payload = {"users": sorted(members.users), "departments": sorted(members.departments)}
        await self._ctx.redis.set(key, json.dumps(payload), ex=TAG_FRESH_SECONDS)
        return members
