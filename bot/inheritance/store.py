"""Hand-overs (继承) and what became of each customer and group: the one writer of the
`inherit:*` keys."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.storage.ids import free_id

NINETY_DAYS = 90 * 86400


@dataclass(frozen=True, slots=True)
class HandOver:
    """One hand-over: `kind` resigned (离职继承) or onjob (在职继承), from `handover` to
    `takers` by `rule`; `message` goes to on-job customers; `groups` hands the groups over too."""

    id: str
    kind: str
    handover: str
    takers: tuple[str, ...]
    rule: str
    message: str = ""
    groups: bool = True
    created_by: str = ""
    created_at: int = 0
    status: str = "open"  # open -> done (every customer and group final)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> HandOver:
        data = json.loads(raw)
        data["takers"] = tuple(data["takers"])
        return cls(**data)

    @property
    def resigned(self) -> bool:
        return self.kind == "resigned"


class InheritanceStore:
    """Hand-overs, their customers and groups, and the on-job transfer history."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def add(
        self,
        handover: HandOver,
        customers: dict[str, str],
        groups: dict[str, str],
    ) -> HandOver:
        """Save a new hand-over with each customer's and group's takeover member."""
        saved = replace(handover, id=await free_id(self._redis, self._keys.inherit_jobs))
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(self._keys.inherit_jobs, saved.id, saved.to_json())
            if customers:
                rows = {c: json.dumps({"to": t, "status": 0}) for c, t in customers.items()}
                tx.hset(self._keys.inherit_customers(saved.id), mapping=rows)
            if groups:
                rows = {g: json.dumps({"to": t, "state": "waiting"}) for g, t in groups.items()}
                tx.hset(self._keys.inherit_groups(saved.id), mapping=rows)
            await tx.execute()
        return saved

    async def get(self, job_id: str) -> HandOver | None:
        raw = await self._redis.hget(self._keys.inherit_jobs, job_id)
        return HandOver.from_json(raw) if raw else None

    async def all(self) -> list[HandOver]:
        rows = await self._redis.hgetall(self._keys.inherit_jobs)
        found = [HandOver.from_json(raw) for raw in rows.values()]
        return sorted(found, key=lambda h: (-h.created_at, h.id))

    async def finish(self, handover: HandOver) -> None:
        done = replace(handover, status="done")
        await self._redis.hset(self._keys.inherit_jobs, handover.id, done.to_json())

    async def customers(self, job_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._redis.hgetall(self._keys.inherit_customers(job_id))
        return {c: json.loads(raw) for c, raw in rows.items()}

    async def update_customers(self, job_id: str, rows: dict[str, dict[str, Any]]) -> None:
        if rows:
            mapping = {c: json.dumps(row) for c, row in rows.items()}
            await self._redis.hset(self._keys.inherit_customers(job_id), mapping=mapping)

    async def groups(self, job_id: str) -> dict[str, dict[str, Any]]:
        rows = await self._redis.hgetall(self._keys.inherit_groups(job_id))
        return {g: json.loads(raw) for g, raw in rows.items()}

    async def update_groups(self, job_id: str, rows: dict[str, dict[str, Any]]) -> None:
        if rows:
            mapping = {g: json.dumps(row) for g, row in rows.items()}
            await self._redis.hset(self._keys.inherit_groups(job_id), mapping=mapping)

    async def recent_transfers(self, customers: list[str], now: float) -> dict[str, int]:
        """customer -> on-job transfers accepted in the last 90 days."""
        if not customers:
            return {}
        rows = await self._redis.hmget(self._keys.inherit_history, customers)
        return {
            c: sum(1 for at in json.loads(raw or "[]") if now - at < NINETY_DAYS)
            for c, raw in zip(customers, rows, strict=True)
        }

    async def note_transfers(self, customers: list[str], now: float) -> None:
        """Remember an accepted on-job transfer of each (for the 2-in-90-days rule)."""
        if not customers:
            return
        rows = await self._redis.hmget(self._keys.inherit_history, customers)
        mapping = {}
        for customer, raw in zip(customers, rows, strict=True):
            kept = [at for at in json.loads(raw or "[]") if now - at < NINETY_DAYS]
            mapping[customer] = json.dumps([*kept, int(now)])
        await self._redis.hset(self._keys.inherit_history, mapping=mapping)
