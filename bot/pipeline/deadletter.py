"""The dead-letter stream: events that failed every attempt, kept for inspection and replay."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.clock import corp_clock
from bot.keys import RedisKeys


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead-lettered event with why and when it failed."""

    id: str
    xml: str
    error: str
    attempts: int
    failed_ms: int
    received_ms: int
    original_id: str
    chat: str = ""  # chat text (bot.chat_log) enters the stream as JSON instead of XML

    def as_dict(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "id": self.id,
            "error": self.error,
            "attempts": self.attempts,
            "failed_at": _iso(self.failed_ms),
            "received_at": _iso(self.received_ms),
            "original_id": self.original_id,
            "xml": self.xml,
        }
        if self.chat:
            shown["chat"] = self.chat
        return shown


def _iso(ms: int) -> str:
    return corp_clock(ms / 1000, "%Y-%m-%dT%H:%M:%S%z") if ms else ""


async def move_to_dead_letters(
    redis: Redis,
    keys: RedisKeys,
    group: str,
    entry_id: str,
    fields: dict[str, str],
    error: str,
    attempts: int,
) -> None:
    """Copy the entry to the dead-letter stream and finish it in the main one, atomically."""
    record = {
        "xml": fields.get("xml", ""),
        "received_ms": fields.get("received_ms", "0"),
        "fp": fields.get("fp", ""),
        "error": error[:2000],
        "attempts": str(attempts),
        "failed_ms": str(int(time.time() * 1000)),
        "original_id": entry_id,
    }
    if "chat" in fields:  # a chat message's content is its JSON: keep it for the replay
        record["chat"] = fields["chat"]
    async with redis.pipeline(transaction=True) as tx:
        tx.xadd(keys.dead_letters, record)
        tx.xack(keys.events, group, entry_id)
        tx.xdel(keys.events, entry_id)
        tx.zrem(keys.retry_schedule, entry_id)
        tx.delete(keys.handlers_done(entry_id))
        await tx.execute()


async def list_dead_letters(redis: Redis, keys: RedisKeys, limit: int = 100) -> list[DeadLetter]:
    """The oldest `limit` dead letters."""
    rows = await redis.xrange(keys.dead_letters, count=limit)
    return [_from_row(entry_id, fields) for entry_id, fields in rows]


def _from_row(entry_id: str, fields: dict[str, str]) -> DeadLetter:
    return DeadLetter(
        id=entry_id,
        xml=fields.get("xml", ""),
        error=fields.get("error", ""),
        attempts=int(fields.get("attempts", "0") or 0),
        failed_ms=int(fields.get("failed_ms", "0") or 0),
        received_ms=int(fields.get("received_ms", "0") or 0),
        original_id=fields.get("original_id", ""),
        chat=fields.get("chat", ""),
    )


async def replay_dead_letters(redis: Redis, keys: RedisKeys, ids: list[str] | None) -> list[str]:
    """Put dead letters (all when `ids` is None) back on the event stream; returns new ids.

    Replays skip the dedup check on purpose: the operator asked for this event again.
    """
    if ids is None:
        rows = await redis.xrange(keys.dead_letters)
    else:
        rows = []
        for entry_id in ids:
            rows.extend(await redis.xrange(keys.dead_letters, min=entry_id, max=entry_id))
    new_ids: list[str] = []
    for entry_id, fields in rows:
        entry = {
            "xml": fields.get("xml", ""),
            "received_ms": str(int(time.time() * 1000)),
            "fp": fields.get("fp", ""),
            "replay_of": entry_id,
        }
        if fields.get("chat"):
            entry["chat"] = fields["chat"]
        async with redis.pipeline(transaction=True) as tx:
            tx.xadd(keys.events, entry)
            tx.xdel(keys.dead_letters, entry_id)
            result = await tx.execute()
        new_ids.append(str(result[0]))
    return new_ids


async def purge_dead_letters(redis: Redis, keys: RedisKeys, ids: list[str]) -> int:
    """Delete dead letters for good; returns how many existed."""
    return int(await redis.xdel(keys.dead_letters, *ids)) if ids else 0
