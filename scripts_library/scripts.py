"""Scripts (话术): the model, its checks, and the Redis store with versions and send counts.

A script sits in a category path (售前/活动, 售后/退货…), has a title, a text that may use the
customer's name (rendered in the Jinja2 sandbox when sent), attachments, search keywords, and a
visibility (everyone, some departments, some staff). Every save keeps the previous version
(the last `HISTORY_KEEP`, restorable); every send from the sidebar is counted. Each change is
also appended to a stream that the in-process search indexes read to stay current.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.attachments import AttachmentError
from bot.attachments import check as check_attachments
from bot.errors import UserError
from bot.keys import RedisKeys
from bot.templating import text_problem
from bot.text.guard import TextGuard

HISTORY_KEEP = 20
RECENT_KEEP = 20
CHANGES_KEEP = 10_000
MAX_TEXT_BYTES = 4000
MAX_ATTACHMENTS = 9
VARIABLES = ("customer_name", "staff_name", "date")
MAX_DEPTH, MAX_SEGMENT, MAX_TITLE, MAX_KEYWORDS = 4, 20, 64, 20


class ScriptError(UserError, ValueError):
    """A script that can't be saved, or a request about one that can't be met; in Chinese."""


@dataclass
class Visibility:
    """Who sees a script: everyone, or only the listed departments and staff."""

    everyone: bool = True
    departments: list[int] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)

    def allows(self, userid: str, departments: list[int]) -> bool:
        if self.everyone or userid in self.staff:
            return True
        return any(d in self.departments for d in departments)


@dataclass
class Script:
    """One quick-reply script and who made and changed it, when."""

    id: str
    category: str
    title: str
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    visibility: Visibility = field(default_factory=Visibility)
    enabled: bool = True
    version: int = 0
    created_by: str = ""
    created_at: float = 0.0
    updated_by: str = ""
    updated_at: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Script:
        raw = dict(raw)
        raw["visibility"] = Visibility(**raw.get("visibility", {}))
        return cls(**raw)

    @classmethod
    def from_json(cls, data: str) -> Script:
        return cls.from_dict(json.loads(data))

    @property
    def path(self) -> list[str]:
        return self.category.split("/")


def validate(script: Script, guard: TextGuard | None) -> None:
    """Raise `ScriptError` naming the first problem."""
    segments = script.category.split("/")
    if not script.category or any(not s.strip() for s in segments):
        raise ScriptError("分类不能为空，多级分类用 / 分隔，例如 售后/退货")
    if len(segments) > MAX_DEPTH or any(len(s) > MAX_SEGMENT for s in segments):
        raise ScriptError(f"分类最多 {MAX_DEPTH} 级，每级不超过 {MAX_SEGMENT} 个字")
    if not script.title.strip() or len(script.title) > MAX_TITLE:
        raise ScriptError(f"标题不能为空，且不超过 {MAX_TITLE} 个字")
    if not script.text.strip() and not script.attachments:
        raise ScriptError("话术的文字和附件不能都为空")
    problem = text_problem(script.text, VARIABLES, MAX_TEXT_BYTES, guard)
    if problem:
        raise ScriptError(f"话术内容{problem}")
    if guard is not None:
        for label, value in (("标题", script.title), ("关键词", " ".join(script.keywords))):
            problem = text_problem(value.replace("{", "｛"), (), MAX_TEXT_BYTES, guard)
            if problem:
                raise ScriptError(f"{label}{problem}")
    if len(script.keywords) > MAX_KEYWORDS or any(not k.strip() for k in script.keywords):
        raise ScriptError(f"关键词最多 {MAX_KEYWORDS} 个，且不能为空")
    if any(d < 1 for d in script.visibility.departments):
        raise ScriptError("可见部门应是部门 ID（正整数）")
    try:
        check_attachments("话术", script.attachments, MAX_ATTACHMENTS)
    except AttachmentError as exc:
        raise ScriptError(str(exc)) from None


class ScriptStore:
    """The script library of one corp in Redis."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, script: Script, by: str, guard: TextGuard | None) -> Script:
        """Create (no id) or replace a script; the replaced version goes into its history."""
        return (await self.save_many([script], by, guard))[0]

    async def save_many(
        self, scripts: list[Script], by: str, guard: TextGuard | None
    ) -> list[Script]:
        """Save several scripts in one transaction: all of them, or (on a bad one) none."""
        for script in scripts:
            validate(script, guard)
        now = time.time()
        ids = [s.id for s in scripts if s.id]
        stored = await self._redis.hmget(self._keys.scripts, ids) if ids else []
        previous = {sid: Script.from_json(d) for sid, d in zip(ids, stored, strict=True) if d}
        async with self._redis.pipeline(transaction=True) as tx:
            for script in scripts:
                self.queue_save(tx, script, previous.get(script.id), by, now)
            await tx.execute()
        return scripts

    def queue_save(
        self, tx: Any, script: Script, before: Script | None, by: str, now: float
    ) -> None:
        """Queue the writes of one save on a transaction (`before`: the stored version, if
        any, which goes into the history); sets the script's id, version and authorship."""
        if before is None:
            script.id = script.id or secrets.token_hex(4)
            script.version, script.created_by, script.created_at = 1, by, now
        else:
            script.version = before.version + 1
            script.created_by, script.created_at = before.created_by, before.created_at
            tx.lpush(self._keys.script_history(script.id), before.to_json())
            tx.ltrim(self._keys.script_history(script.id), 0, HISTORY_KEEP - 1)
        script.updated_by, script.updated_at = by, now
        tx.hset(self._keys.scripts, script.id, script.to_json())
        self._changed(tx, script.id)

    async def get(self, script_id: str) -> Script | None:
        data = await self._redis.hget(self._keys.scripts, script_id)
        return Script.from_json(data) if data else None

    async def all(self) -> list[Script]:
        rows = await self._redis.hgetall(self._keys.scripts)
        return sorted((Script.from_json(v) for v in rows.values()), key=lambda s: s.id)

    async def delete(self, script_id: str, by: str) -> Script:
        """Remove a script; it stays in its history, so `restore` can bring it back."""
        script = await self.get(script_id)
        if script is None:
            raise ScriptError(f"没有话术 {script_id}")
        async with self._redis.pipeline(transaction=True) as tx:
            self.queue_delete(tx, script, by, time.time())
            await tx.execute()
        return script

    def queue_delete(self, tx: Any, script: Script, by: str, now: float) -> None:
        """Queue the writes of removing a (stored) script on a transaction."""
        script.updated_by, script.updated_at = by, now
        tx.lpush(self._keys.script_history(script.id), script.to_json())
        tx.ltrim(self._keys.script_history(script.id), 0, HISTORY_KEEP - 1)
        tx.hdel(self._keys.scripts, script.id)
        tx.zrem(self._keys.script_sends, script.id)
        self._changed(tx, script.id)

    async def history(self, script_id: str) -> list[Script]:
        """Earlier versions, newest first."""
        rows = await self._redis.lrange(self._keys.script_history(script_id), 0, -1)
        return [Script.from_json(row) for row in rows]

    async def restore(
        self, script_id: str, version: int, by: str, guard: TextGuard | None = None
    ) -> Script:
        """Make an earlier version current again (as a new version), checked by `guard`: a
        word blocked since that version was written keeps it from coming back."""
        for old in await self.history(script_id):
            if old.version == version:
                current = await self.get(script_id)
                old.version = current.version if current else old.version
                old.id = script_id
                return await self.save(old, by, guard)
        raise ScriptError(f"话术 {script_id} 没有第 {version} 版（只保留最近 {HISTORY_KEEP} 版）")

    async def record_send(self, script_id: str, userid: str) -> None:
        """Count a send and put the script at the top of the member's recent list."""
        recent = self._keys.script_recent(userid)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zincrby(self._keys.script_sends, 1, script_id)
            pipe.lrem(recent, 0, script_id)
            pipe.lpush(recent, script_id)
            pipe.ltrim(recent, 0, RECENT_KEEP - 1)
            await pipe.execute()

    async def recent(self, userid: str) -> list[str]:
        return list(await self._redis.lrange(self._keys.script_recent(userid), 0, -1))

    async def sends(self) -> dict[str, int]:
        rows = await self._redis.zrange(self._keys.script_sends, 0, -1, withscores=True)
        return {script_id: int(score) for script_id, score in rows}

    def _changed(self, tx: Any, script_id: str) -> None:
        tx.incr(self._keys.script_seq)
        tx.xadd(
            self._keys.script_changes,
            {"id": script_id},
            maxlen=CHANGES_KEEP,
            approximate=True,
        )
