"""Moments tasks and each member's post as last read: the one writer of the `moments:*` keys."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.moments.model import MomentTask
from bot.storage.ids import free_id
from bot.storage.records import SWAP_STATUS


class MomentStore:
    """Tasks (`moments:tasks`) and their members' posts (`moments:members:<id>`)."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._swap = redis.register_script(SWAP_STATUS)

    async def add(self, task: MomentTask) -> MomentTask:
        saved = replace(task, id=task.id or await free_id(self._redis, self._keys.moments))
        await self._redis.hset(self._keys.moments, saved.id, saved.to_json())
        return saved

    async def get(self, task_id: str) -> MomentTask | None:
        raw = await self._redis.hget(self._keys.moments, task_id)
        return MomentTask.from_json(raw) if raw else None

    async def all(self) -> list[MomentTask]:
        rows = await self._redis.hgetall(self._keys.moments)
        return sorted(
            (MomentTask.from_json(raw) for raw in rows.values()),
            key=lambda t: (-t.created_at, t.id),
        )

    async def move(self, task: MomentTask, moved: MomentTask) -> MomentTask | None:
        """`moved` saved if the task still had `task`'s status (else another process moved it)."""
        ok = await self._swap(
            keys=[self._keys.moments], args=[task.id, task.status, moved.to_json()]
        )
        return moved if ok else None

    async def members(self, task_id: str) -> dict[str, dict[str, Any]]:
        flat = await self._redis.hgetall(self._keys.moment_members(task_id))
        return {member: json.loads(raw) for member, raw in flat.items()}

    async def set_members(self, task_id: str, rows: dict[str, dict[str, Any]]) -> None:
        if rows:
            mapping = {member: json.dumps(row) for member, row in rows.items()}
            await self._redis.hset(self._keys.moment_members(task_id), mapping=mapping)
