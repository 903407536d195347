"""Which admin messages were taken as commands, and what they answered.

A message is taken as a command at most once: a redelivered or retried event is not run
again (a command that changed something must not change it twice). The mark keeps the
answer, so a retry after a failed send repeats the answer, not the command; a mark still
"running" means the first run was cut short.
"""

from __future__ import annotations

from enum import Enum

from bot.keys import RedisKeys
from bot.storage.topology import RedisClient

SEEN_SECONDS = 86400
RUNNING, ANSWERED, SILENT = "running", "answered:", "silent"


class Earlier(Enum):
    """What became of a message's first run."""

    INTERRUPTED = "interrupted"  # died mid-command
    SILENT = "silent"  # ran, and was not a command


class CommandMarks:
    """The one writer of `admin_seen` marks."""

    def __init__(self, redis: RedisClient, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def claim(self, msg_id: str) -> bool:
        """True for the first run of this message (it is marked running)."""
        mark = self._keys.admin_seen(msg_id)
        return bool(await self._redis.set(mark, RUNNING, nx=True, ex=SEEN_SECONDS))

    async def earlier(self, msg_id: str) -> str | Earlier:
        """The answer a claimed message gave, or what else became of it."""
        earlier = str(await self._redis.get(self._keys.admin_seen(msg_id)) or "")
        if earlier.startswith(ANSWERED):
            return earlier.removeprefix(ANSWERED)
        return Earlier.INTERRUPTED if earlier == RUNNING else Earlier.SILENT

    async def silent(self, msg_id: str) -> None:
        """The message was no command: nothing to say, now or on a retry."""
        await self._redis.set(self._keys.admin_seen(msg_id), SILENT, ex=SEEN_SECONDS)

    async def answered(self, msg_id: str, answer: str) -> None:
        await self._redis.set(self._keys.admin_seen(msg_id), ANSWERED + answer, ex=SEEN_SECONDS)
