"""The audit log: every change to what admins configure — who, when, through what, which
item, and the item before and after — in one capped Redis stream, newest read first."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys

AUDIT_MAXLEN = 100_000
# how a change was made, as `审计` says it
VIA_NAMES = {
    "chat": "管理员对话",
    "console": "管理后台",
    "cli": "命令行",
    "import": "配置导入",
    "upgrade": "系统升级",
}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change. `before`/`after` are the item as stored (None: it did not exist / is gone)."""

    id: str
    at: int
    actor: str  # the admin's userid; the CLI's --by, else the OS user running it
    via: str  # chat / console / cli / import (see VIA_NAMES)
    action: str  # e.g. script.add, word.remove, sop.pause
    target: str  # the item's id (or word, or file name)
    summary: str  # one line in Chinese, for 审计
    before: Any = None
    after: Any = None

    @property
    def how(self) -> str:
        """How the change was made, in words: 管理员对话 / 命令行 / 配置导入."""
        return VIA_NAMES.get(self.via, self.via)


class AuditLog:
    """Writes and reads the audit stream of one corp: the one writer of it, for admin chat, the
    CLI (`bot.cli.audit`) and configuration imports alike."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def record(
        self,
        actor: str,
        via: str,
        action: str,
        target: str,
        summary: str,
        *,
        before: Any = None,
        after: Any = None,
        at: float | None = None,
    ) -> str:
        fields = {
            "at": str(int(time.time() if at is None else at)),
            "actor": actor,
            "via": via,
            "action": action,
            "target": target,
            "summary": summary,
            "before": json.dumps(before, ensure_ascii=False),
            "after": json.dumps(after, ensure_ascii=False),
        }
        entry_id = await self._redis.xadd(
            self._keys.audit, fields, maxlen=AUDIT_MAXLEN, approximate=True
        )
        return str(entry_id)

    async def latest(
        self, count: int = 20, *, actor: str | None = None, before_id: str = "+"
    ) -> list[AuditEntry]:
        """Newest first, up to `count`, optionally one actor's; `before_id` "(<id>" pages on."""
        found: list[AuditEntry] = []
        end = before_id
        while len(found) < count:
            rows = await self._redis.xrevrange(self._keys.audit, end, "-", count=200)
            if not rows:
                break
            for entry_id, fields in rows:
                entry = _entry(str(entry_id), fields)
                if actor is None or entry.actor == actor:
                    found.append(entry)
                    if len(found) == count:
                        break
            end = f"({rows[-1][0]}"
        return found

    async def page(
        self,
        count: int,
        *,
        actor: str = "",
        via: str = "",
        action: str = "",
        before_id: str = "+",
        max_scan: int = 5_000,
    ) -> tuple[list[AuditEntry], str | None]:
        """Up to `count` entries, newest first, of one actor / way / kind of action (`action`
        is a prefix: `script.` for every script change) when given; and where to go on from
        (`before_id` of the next page), or None at the end. At most `max_scan` entries are
        read per call, so a filter that matches nothing costs a bounded read, not the stream."""
        found: list[AuditEntry] = []
        end, scanned = before_id, 0
        while len(found) < count and scanned < max_scan:
            rows = await self._redis.xrevrange(self._keys.audit, end, "-", count=200)
            if not rows:
                return found, None
            for entry_id, fields in rows:
                scanned += 1
                end = f"({entry_id}"
                entry = _entry(str(entry_id), fields)
                if (
                    (not actor or entry.actor == actor)
                    and (not via or entry.via == via)
                    and entry.action.startswith(action)
                ):
                    found.append(entry)
                    if len(found) == count:
                        break
        return found, end


def _entry(entry_id: str, fields: dict[str, str]) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=int(fields.get("at", 0)),
        actor=fields.get("actor", ""),
        via=fields.get("via", ""),
        action=fields.get("action", ""),
        target=fields.get("target", ""),
        summary=fields.get("summary", ""),
        before=json.loads(fields.get("before") or "null"),
        after=json.loads(fields.get("after") or "null"),
    )
