"""Archived conversations for admins to read: the one writer of `archive:conv*`.

Each text the archive pull brought in (and each line of another kind: an image, a file, a
link, with the file's SDK id for fetching it when opened) is kept in its conversation (a member
and a customer, or a customer group) by send time; a list of conversations by their latest
message lets the console show the recent ones. Search reads the most recent conversations
newest first, at most `SEARCH_MESSAGES` messages, so its cost is bounded whatever the archive
holds. Messages older than the retention setting are deleted by the hourly sweep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.archive.messages import Line, Media
from bot.events import ChatText
from bot.keys import RedisKeys

SEARCH_MESSAGES = 20_000
SEARCH_CONVERSATIONS = 500
PAGE = 200


@dataclass(frozen=True, slots=True)
class Archived:
    """One archived message as admins read it."""

    msgid: str
    sender: str  # customer or staff
    text: str
    member: str
    customer: str
    at: int
    media: Media | None = None


def conversation_id(room: str, member: str, customer: str) -> str:
    return f"room:{room}" if room else f"{member}|{customer}"


def conversation_of(text: ChatText) -> str:
    return conversation_id(text.chat_id, text.staff_userid, text.external_userid)


class ArchiveStore:
    """Conversations of archived text."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def keep(self, text: ChatText) -> None:
        entry: list[object] = [
            text.msgid,
            text.sender,
            text.text,
            text.staff_userid,
            text.external_userid,
        ]
        await self._add([(conversation_of(text), entry, text.sent_at)])

    async def keep_lines(self, lines: list[Line]) -> None:
        """A batch's messages of other kinds. The same line read again is the same member of
        its sorted set, so a batch pulled twice (after a crash) adds nothing."""
        rows = []
        for line in lines:
            who = line.parties
            entry: list[object] = [
                line.msgid,
                "customer" if who.from_customer else "staff",
                line.text,
                who.member,
                who.customer,
            ]
            if line.media is not None:
                entry.append(line.media.as_json())
            rows.append((conversation_id(who.room, who.member, who.customer), entry, line.at))
        await self._add(rows)

    async def _add(self, rows: list[tuple[str, list[object], int]]) -> None:
        if not rows:
            return
        async with self._redis.pipeline(transaction=True) as tx:
            for conversation, entry, at in rows:
                raw = json.dumps(entry, ensure_ascii=False)
                tx.zadd(self._keys.archive_conversation(conversation), {raw: at})
                tx.zadd(self._keys.archive_conversations, {conversation: at}, gt=True)
            await tx.execute()

    async def conversations(self, count: int = 50) -> list[tuple[str, int]]:
        rows = await self._redis.zrevrange(
            self._keys.archive_conversations, 0, count - 1, withscores=True
        )
        return [(str(c), int(at)) for c, at in rows]

    async def messages(self, conversation: str, count: int = PAGE) -> list[Archived]:
        """The conversation's latest `count` messages, oldest first."""
        key = self._keys.archive_conversation(conversation)
        rows = await self._redis.zrevrange(key, 0, count - 1, withscores=True)
        return [_archived(raw, at) for raw, at in reversed(rows)]

    async def message(self, conversation: str, at: int, msgid: str) -> Archived | None:
        """One message by its conversation, send time and id (a read of that second only)."""
        key = self._keys.archive_conversation(conversation)
        rows = await self._redis.zrangebyscore(key, at, at, withscores=True)
        return next((m for m in (_archived(r, s) for r, s in rows) if m.msgid == msgid), None)

    async def search(self, query: str, most: int = 100) -> tuple[list[tuple[str, Archived]], bool]:
        """(conversation, message) containing `query`, newest conversations first; and whether
        the bound stopped the search before the whole archive was read."""
        found: list[tuple[str, Archived]] = []
        read = 0
        for conversation, _ in await self.conversations(SEARCH_CONVERSATIONS):
            for message in reversed(await self.messages(conversation, PAGE)):
                read += 1
                if query in message.text:
                    found.append((conversation, message))
                    if len(found) >= most:
                        return found, True
                if read >= SEARCH_MESSAGES:
                    return found, True
        return found, False

    async def expire(self, before: int) -> int:
        """Delete messages sent before `before` (and conversations left empty); how many."""
        removed = 0
        async for conversation, _ in self._redis.zscan_iter(self._keys.archive_conversations):
            key = self._keys.archive_conversation(str(conversation))
            removed += int(await self._redis.zremrangebyscore(key, "-inf", f"({before}"))
            if not await self._redis.exists(key):
                await self._redis.zrem(self._keys.archive_conversations, conversation)
        return removed


def _archived(raw: str, at: float) -> Archived:
    msgid, sender, text, member, customer, *file = json.loads(raw)
    media = Media.from_json(file[0]) if file else None
    return Archived(msgid, sender, text, member, customer, int(at), media)
