"""Archived conversations for admins to read: the one writer of `archive:conv*`.

Each text the archive pull brought in is kept in its conversation (a member and a customer, or
a customer group) by send time; a list of conversations by their latest message lets the console
show the recent ones. Search reads the most recent conversations newest first, at most
`SEARCH_MESSAGES` messages, so its cost is bounded whatever the archive holds. Messages older
than the retention setting are deleted by the hourly sweep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

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


def conversation_of(text: ChatText) -> str:
    return f"room:{text.chat_id}" if text.chat_id else f"{text.staff_userid}|{text.external_userid}"


class ArchiveStore:
    """Conversations of archived text."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def keep(self, text: ChatText) -> None:
        conversation = conversation_of(text)
        entry = json.dumps(
            [text.msgid, text.sender, text.text, text.staff_userid, text.external_userid],
            ensure_ascii=False,
        )
        async with self._redis.pipeline(transaction=True) as tx:
            tx.zadd(self._keys.archive_conversation(conversation), {entry: text.sent_at})
            tx.zadd(self._keys.archive_conversations, {conversation: text.sent_at}, gt=True)
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
    msgid, sender, text, member, customer = json.loads(raw)
    return Archived(msgid, sender, text, member, customer, int(at))
