"""Mass-send tasks, their parts (one WeCom task each) and what became of them: the one writer
of the `mass:*` keys but the quota's (`bot.mass.quota`).

A task's audience is staged before anything is created: each customer (or group) goes once —
a set of the task's recipients drops repeats, which SCAN may give — onto the list of its
member's current part, a new part starting at WeCom's limit per call. Each part is then
claimed (new → creating) by the one process that creates its WeCom task, so however many
workers run and however often a round is retried, a part makes at most one WeCom task.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.mass.model import MassTask
from bot.storage.ids import free_id
from bot.storage.records import SWAP_STATUS

SAMPLE = 50  # ids kept per reason left out, to show who
STATES = ("new", "creating", "created", "empty", "failed", "unknown")
_INTS = frozenset({"size", "fail", "reached", "claimed"})

# KEYS[1] parts hash, KEYS[2] the task's recipient set, KEYS[3] the targets key prefix;
# ARGV[1] part size, then target, member pairs. Returns how many were new.
_STAGE = """
local added = 0
for i = 2, #ARGV, 2 do
  local target, member = ARGV[i], ARGV[i + 1]
  if redis.call('SADD', KEYS[2], target) == 1 then
    local part = redis.call('HGET', KEYS[1], 'cur:' .. member)
    local size = part and tonumber(redis.call('HGET', KEYS[1], part .. ':size')) or 0
    if not part or size >= tonumber(ARGV[1]) then
      part = string.format('p%05d', redis.call('HINCRBY', KEYS[1], 'n', 1))
      redis.call('HSET', KEYS[1], 'cur:' .. member, part, part .. ':member', member,
        part .. ':state', 'new')
      size = 0
    end
    redis.call('HSET', KEYS[1], part .. ':size', size + 1)
    redis.call('RPUSH', KEYS[3] .. part, target)
    added = added + 1
  end
end
return added
"""
# KEYS[1] parts hash; ARGV[1] part, ARGV[2] now. new -> creating, once.
_CLAIM = """
if redis.call('HGET', KEYS[1], ARGV[1] .. ':state') ~= 'new' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1] .. ':state', 'creating', ARGV[1] .. ':claimed', ARGV[2])
return 1
"""
# KEYS[1] parts hash; ARGV[1] part, ARGV[2] now, ARGV[3] reminders allowed in 24 hours.
_REMIND = """
local field = ARGV[1] .. ':reminded'
local kept = {}
for _, at in ipairs(cjson.decode(redis.call('HGET', KEYS[1], field) or '[]')) do
  if tonumber(ARGV[2]) - at < 86400 then kept[#kept + 1] = at end
end
if #kept >= tonumber(ARGV[3]) then return 0 end
kept[#kept + 1] = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], field, cjson.encode(kept))
return 1
"""


class MassStore:
    """Tasks (`mass:tasks`), their parts and staged recipients, left-out reports and results."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._stage = redis.register_script(_STAGE)
        self._claim = redis.register_script(_CLAIM)
        self._swap = redis.register_script(SWAP_STATUS)
        self._remind = redis.register_script(_REMIND)

    # -- tasks ---------------------------------------------------------------------------
    async def add(self, task: MassTask) -> MassTask:
        """Save a new task under a fresh id (one given is kept: a configuration import)."""
        task_id = task.id or await free_id(self._redis, self._keys.mass_tasks)
        saved = replace(task, id=task_id)
        await self._redis.hset(self._keys.mass_tasks, task_id, saved.to_json())
        return saved

    async def get(self, task_id: str) -> MassTask | None:
        raw = await self._redis.hget(self._keys.mass_tasks, task_id)
        return MassTask.from_json(raw) if raw else None

    async def all(self) -> list[MassTask]:
        rows = await self._redis.hgetall(self._keys.mass_tasks)
        tasks = [MassTask.from_json(raw) for raw in rows.values()]
        return sorted(tasks, key=lambda t: (-t.created_at, t.id))

    async def move(self, task: MassTask, status: str) -> MassTask | None:
        """The task in `status` if it was still as given (another process may have moved it)."""
        moved = task.with_status(status)
        ok = await self._swap(
            keys=[self._keys.mass_tasks], args=[task.id, task.status, moved.to_json()]
        )
        return moved if ok else None

    # -- staging and parts ---------------------------------------------------------------
    async def stage(self, task_id: str, pairs: list[tuple[str, str]], part_size: int) -> int:
        """Put (target, member) pairs on their parts; returns how many were new."""
        if not pairs:
            return 0
        args: list[str | int] = [part_size]
        for target, member in pairs:
            args += [target, member]
        keys = [
            self._keys.mass_parts(task_id),
            self._keys.mass_recipients(task_id),
            self._keys.mass_targets(task_id, ""),
        ]
        return int(await self._stage(keys=keys, args=args))

    async def staged(self, task_id: str) -> None:
        """Staging is complete: the parts are final (a restarted round won't stage again)."""
        await self._redis.hset(self._keys.mass_parts(task_id), "staged", "1")

    async def parts(self, task_id: str) -> dict[str, dict[str, Any]]:
        """part -> {member, size, state, msgid, fail, error}, and "" -> {staged, n}."""
        flat = await self._redis.hgetall(self._keys.mass_parts(task_id))
        parts: dict[str, dict[str, Any]] = {}
        for name, value in flat.items():
            part, sep, field = name.partition(":")
            if sep and part.startswith("p") and field != "reminded":
                parts.setdefault(part, {})[field] = int(value) if field in _INTS else value
        parts[""] = {"staged": flat.get("staged") == "1", "n": int(flat.get("n", 0))}
        return parts

    async def claim(self, task_id: str, part: str, now: float) -> bool:
        """Take a new part to make its WeCom task: True for the one caller that does."""
        keys = [self._keys.mass_parts(task_id)]
        return bool(await self._claim(keys=keys, args=[part, int(now)]))

    async def targets(self, task_id: str, part: str) -> list[str]:
        return list(await self._redis.lrange(self._keys.mass_targets(task_id, part), 0, -1))

    async def settle(self, task_id: str, part: str, state: str, **fields: str | int) -> None:
        """Record a claimed part's outcome and drop its staged list."""
        mapping = {f"{part}:state": state} | {f"{part}:{k}": v for k, v in fields.items()}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.mass_parts(task_id), mapping=mapping)
            pipe.delete(self._keys.mass_targets(task_id, part))
            await pipe.execute()

    async def note_reminder(self, task_id: str, part: str, now: float, per_day: int) -> bool:
        """Count a reminder of a part unless `per_day` were sent in the last 24 hours."""
        return bool(
            await self._remind(keys=[self._keys.mass_parts(task_id)], args=[part, now, per_day])
        )

    async def unstage(self, task_id: str) -> None:
        """Every part is made: the recipient set is no longer needed."""
        await self._redis.delete(self._keys.mass_recipients(task_id))

    # -- left out and results ------------------------------------------------------------
    async def left_out(self, task_id: str, reason: str, ids: list[str]) -> None:
        """Count `ids` as left out for `reason` and keep the first `SAMPLE` of them."""
        if not ids:
            return
        key = self._keys.mass_left_out(task_id)
        sample = json.loads(await self._redis.hget(key, f"{reason}:ids") or "[]")
        room = SAMPLE - len(sample)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, reason, len(ids))
            if room > 0:
                pipe.hset(key, f"{reason}:ids", json.dumps(sample + ids[:room]))
            await pipe.execute()

    async def left_out_report(self, task_id: str) -> dict[str, tuple[int, list[str]]]:
        """reason -> (count, the first ids)."""
        flat = await self._redis.hgetall(self._keys.mass_left_out(task_id))
        return {
            reason: (int(count), list(json.loads(flat.get(f"{reason}:ids", "[]"))))
            for reason, count in flat.items()
            if ":" not in reason
        }

    async def set_result(
        self, task_id: str, part: str, member: str, result: dict[str, Any]
    ) -> None:
        await self._redis.hset(
            self._keys.mass_results(task_id), f"{part}|{member}", json.dumps(result)
        )

    async def waiting(self, task_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(part, member, part info) of each made WeCom task whose member hasn't sent yet (as
        last read)."""
        results = await self.results(task_id)
        return [
            (part, str(info["member"]), info)
            for part, info in sorted((await self.parts(task_id)).items())
            if part
            and info.get("state") == "created"
            and not results.get((part, str(info["member"])), {}).get("final")
        ]

    async def results(self, task_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        flat = await self._redis.hgetall(self._keys.mass_results(task_id))
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for name, raw in flat.items():
            part, _, member = name.partition("|")
            out[(part, member)] = json.loads(raw)
        return out
