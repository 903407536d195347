"""The first sync: every customer of every member with customer contact, read from WeCom in
pages of 100 and stored as profiles, so a corp that starts using the bot has them all at once.

`externalcontact/batch/get_by_user` (doc 92994) lists up to 100 customers of up to 100 members
per call, each with one member's follow info (tag ids only: names come from the corp tag
cache, read once). Calls are paced through the shared per-API pacer (`bot.wecom.pacing`), so
the sync never takes more of WeCom's budget than `PAGES_PER_SECOND` in all processes, and no
other API (welcomes use `send_welcome_msg`) waits for it. A page that fails is retried with a
backoff; the sync can be run again at any time (it writes what WeCom says now).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.services import Services
from bot.wecom import WeComError
from bot.wecom.pacing import CallPacer

API = "externalcontact/batch/get_by_user"
MEMBERS_PER_CALL = 100
PAGE_SIZE = 100
PAGES_PER_SECOND = 10  # 1,000 customers a second at most; WeCom's limit is far above
ATTEMPTS = 5


@dataclass
class SyncReport:
    """What one sync read and stored."""

    members: int = 0
    pages: int = 0
    follows: int = 0
    customers: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "pages": self.pages,
            "customers": len(self.customers),
            "follows": self.follows,
            "seconds": round(self.seconds, 1),
        }


class FirstSync:
    """Reads every customer of the given members (all with customer contact by default)."""

    def __init__(
        self,
        services: Services,
        progress: Callable[[SyncReport], None] | None = None,
        pages_per_second: int = PAGES_PER_SECOND,
    ) -> None:
        self._services = services
        self._api = services.wecom.external_contact
        self._pacer = CallPacer(services.redis, services.keys, API, pages_per_second)
        self._progress = progress
        self._tag_names: dict[str, str] = {}

    async def run(self, members: list[str] | None = None) -> SyncReport:
        started = time.monotonic()
        report = SyncReport()
        userids = members if members is not None else await self._api.get_follow_user_list()
        report.members = len(userids)
        await self._services.corp_tags.refresh()
        for start in range(0, len(userids), MEMBERS_PER_CALL):
            await self._members(userids[start : start + MEMBERS_PER_CALL], report)
        report.seconds = time.monotonic() - started
        return report

    async def _members(self, userids: list[str], report: SyncReport) -> None:
        cursor = ""
        while True:
            page = await self._page(userids, cursor)
            rows = list(page.get("external_contact_list", []))
            await self._tags_of(rows)
            # a page's profiles are written concurrently: one round trip each would make the
            # sync wait on Redis, not on WeCom's budget
            await asyncio.gather(*(self._store(row, report) for row in rows))
            report.pages += 1
            if self._progress is not None:
                self._progress(report)
            cursor = str(page.get("next_cursor") or "")
            if not cursor:
                return

    async def _page(self, userids: list[str], cursor: str) -> dict[str, Any]:
        for attempt in range(1, ATTEMPTS + 1):
            await self._pacer.slot()
            try:
                return await self._api.batch_get_by_user(userids, cursor, PAGE_SIZE)
            except WeComError as exc:
                if not exc.retryable or attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(min(2**attempt, 30))
        raise AssertionError("unreachable")

    async def _store(self, row: dict[str, Any], report: SyncReport) -> None:
        contact, follow = row.get("external_contact") or {}, dict(row.get("follow_info") or {})
        external_userid = str(contact.get("external_userid", ""))
        if not external_userid or not follow.get("userid"):
            return
        follow["tags"] = self._tags(list(follow.get("tag_id") or []))
        await self._services.profiles.record_contact(
            {"external_contact": contact, "follow_user": [follow]}, int(time.time())
        )
        report.follows += 1
        report.customers.add(external_userid)

    async def _tags_of(self, rows: list[dict[str, Any]]) -> None:
        """Learn the names of the page's tag ids not seen yet (one read of the tag cache)."""
        ids = {t for row in rows for t in (row.get("follow_info") or {}).get("tag_id") or []}
        unknown = [t for t in ids if t not in self._tag_names]
        if unknown:
            self._tag_names.update(await self._services.corp_tags.names(unknown))

    def _tags(self, tag_ids: list[str]) -> list[dict[str, str]]:
        """The follow's tags as `externalcontact/get` gives them (group and name by id)."""
        tags = []
        for tag_id in tag_ids:
            group, _, name = self._tag_names.get(tag_id, "").partition("/")
            tags.append({"tag_id": tag_id, "group_name": group, "tag_name": name})
        return tags
