"""RFM segments as WeCom tags: one tag per segment in the group `RFM分层`, on every follower.

WeCom keeps corp tags per (staff member, customer) pair, so a customer's segment is marked on
each staff member who follows them. For a customer whose segment changed, `externalcontact/get`
lists the followers and the tags each already holds; a follower gets the new segment's tag and
loses any other RFM tag in one `mark_tag`, and only when that changes something. A customer
without orders any more (all refunded) loses their RFM tags.

A customer who isn't anyone's contact any more (84061) or whose id WeCom doesn't know (40096) is
skipped, not failed: there is nothing to tag. Any other WeCom error is raised for the caller,
which counts the customer as failed and tries again on the next run. A tag id WeCom refuses
(40068: the tag was deleted in the admin console) drops the tag cache, and the customer is tried
once more with the tags looked up (or created) afresh.

Every WeCom call of a run is paced (`calls_per_second`, 20 by default), so a run over thousands
of customers doesn't burst the corp's API quota; each `mark_tag` also takes a slot of the
deployment-wide mark_tag budget (`bot.wecom.pacing`) it shares with keyword auto-tagging.
Like auto-tagging, the sync keeps the customer's profile current: WeCom's answer to `get` is
recorded and the tags it marks or removes are applied to the profile at once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.profiles.model import ProfileTag
from bot.profiles.store import ProfileStore
from bot.rfm.model import SEGMENT_NAMES
from bot.tagging.tags import CorpTags
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.errors import NOT_A_CONTACT, ErrCode
from bot.wecom.pacing import MARK_TAG_PER_SECOND, CallPacer

TAG_GROUP = "RFM分层"
# (staff, customer, segment): called when a follower's customer enters a segment
SegmentHook = Callable[[str, str, str], Awaitable[None]]
INVALID_TAG = ErrCode.INVALID_TAG
DEFAULT_CALLS_PER_SECOND = 20


@dataclass(frozen=True, slots=True)
class Synced:
    """How one customer's sync went: `mark_tag` calls made, or skipped (not a contact)."""

    marked: int = 0
    skipped: bool = False


class TagSync:
    """Puts each customer's segment tag on their followers and takes the other RFM tags off."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        api: ExternalContactAPI,
        *,
        calls_per_second: int = DEFAULT_CALLS_PER_SECOND,
        on_segment: SegmentHook | None = None,
    ) -> None:
        self._api = api
        self._on_segment = on_segment
        self._tags = CorpTags(redis, keys, api)
        self._pacer = CallPacer(redis, keys, "rfm-run", calls_per_second)
        self._shared = CallPacer(redis, keys, "mark_tag", MARK_TAG_PER_SECOND)
        self._profiles = ProfileStore(redis, keys)
        self._ids: dict[str, str] | None = None

    async def tag_ids(self) -> dict[str, str]:
        """Segment name -> tag id, the whole group created in WeCom when missing."""
        if self._ids is None:
            ids: dict[str, str] = {}
            for name in SEGMENT_NAMES:
                tag_id = await self._tags.tag_id(TAG_GROUP, name)
                assert tag_id is not None  # create=True: a missing tag is made, never None
                ids[name] = tag_id
            self._ids = ids
        return self._ids

    async def sync(self, customer: str, segment: str | None) -> Synced:
        """Make every follower of `customer` hold exactly `segment`'s RFM tag (None: none)."""
        try:
            return await self._sync(customer, segment, await self.tag_ids())
        except WeComError as exc:
            if exc.errcode != INVALID_TAG:
                raise
        # one of our tags was deleted in the admin console: look them up (or create) afresh
        await self._tags.forget()
        self._ids = None
        return await self._sync(customer, segment, await self.tag_ids())

    async def _followers(self, customer: str) -> list[dict[str, Any]] | None:
        follows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            await self._pacer.slot()
            try:
                page = await self._api.get(customer, cursor)
            except WeComError as exc:
                if exc.errcode in NOT_A_CONTACT:
                    return None
                raise
            await self._profiles.record_contact(page, int(time.time()))
            follows += page.get("follow_user") or []
            cursor = page.get("next_cursor") or None
            if cursor is None:
                return follows

    async def _sync(self, customer: str, segment: str | None, ids: dict[str, str]) -> Synced:
        follows = await self._followers(customer)
        if not follows:
            return Synced(skipped=True)
        wanted = ids[segment] if segment is not None else None
        ours = set(ids.values())
        marked = 0
        for follow in follows:
            staff = str(follow.get("userid", ""))
            held = {str(tag.get("tag_id")) for tag in follow.get("tags") or []}
            add = [wanted] if wanted is not None and wanted not in held else []
            remove = sorted(held & (ours - {wanted}))
            if not add and not remove:
                continue
            await self._pacer.slot()
            await self._shared.slot()
            try:
                await self._api.mark_tag(staff, customer, add_tag=add, remove_tag=remove)
            except WeComError as exc:
                if exc.errcode in NOT_A_CONTACT:
                    continue  # this follower let the customer go since `get` answered
                raise
            marked += 1
            new = [ProfileTag(tag_id, TAG_GROUP, str(segment)) for tag_id in add]
            await self._profiles.tags_changed(customer, staff, new, remove)
            if add and segment is not None and self._on_segment is not None:
                await self._on_segment(staff, customer, segment)  # SOPs waiting for it start
        return Synced(marked=marked)
