"""What an admin's conversation with the app remembers: the change `撤销` takes back, the
destructive command waiting for its code, and the rest of a long reply."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.keys import RedisKeys

CONFIRM_SECONDS = 120
MAX_WRONG_CODES = 5  # wrong codes for one pending confirmation before it is dropped
PAGES_SECONDS = 600
UNDO_KEEP = 20
PAGE_BYTES = 1800  # message/send takes 2,048 bytes of text; room for the page footer


@dataclass(frozen=True, slots=True)
class Change:
    """A change as `撤销` needs it: which kind of item, which one, before and after."""

    kind: str  # script / words / tagrule / welcome / sop
    target: str
    before: Any
    after: Any
    summary: str


@dataclass(frozen=True, slots=True)
class Confirmed:
    """What a `确认 <码>` found: `status` is "ok" (then `text` is the parked command and `seen`
    what its preview saw), "none" (nothing waiting), "wrong" (`tries_left` more codes may be
    tried) or "dropped" (too many wrong codes: the command was thrown away)."""

    status: str
    text: str = ""
    seen: Any = None
    tries_left: int = 0


# KEYS[1] parked command, KEYS[2] wrong-code count; ARGV[1] the parked value read, ARGV[2] "ok"
# or "wrong", ARGV[3] ttl, ARGV[4] MAX_WRONG_CODES. -1: no longer parked; 0: used up; n: wrong
# codes so far (both keys dropped at the limit). The code itself is compared in Python.
_SETTLE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[2] == 'ok' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
local wrong = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if wrong >= tonumber(ARGV[4]) then redis.call('DEL', KEYS[1], KEYS[2]) end
return wrong
"""


class AdminSession:
    """One admin's undo list, pending confirmation and pages, all in Redis."""

    def __init__(self, redis: Redis, keys: RedisKeys, userid: str, via: str = "chat") -> None:
        self._redis = redis
        self._keys = keys
        self.userid = userid
        self.via = via  # chat or console: how the audit log says the change was made
        self.audit = AuditLog(redis, keys)
        self._settle = redis.register_script(_SETTLE)

    async def changed(self, action: str, change: Change, *, undoable: bool = True) -> None:
        """Audit the change and (unless it was itself an undo) remember it for `撤销`."""
        await self.audit.record(
            self.userid,
            self.via,
            action,
            change.target,
            change.summary,
            before=change.before,
            after=change.after,
        )
        if undoable:
            key = self._keys.admin_undo(self.userid)
            async with self._redis.pipeline(transaction=True) as tx:
                tx.lpush(key, json.dumps(asdict(change), ensure_ascii=False))
                tx.ltrim(key, 0, UNDO_KEEP - 1)
                await tx.execute()

    async def take_last_change(self) -> Change | None:
        raw = await self._redis.lpop(self._keys.admin_undo(self.userid))
        return Change(**json.loads(raw)) if raw else None

    async def ask_confirmation(self, command_text: str, seen: Any = None) -> str:
        """Park the command (and what its preview `seen`, JSON-able, for the command to check
        again); returns the 4-digit code that runs it within CONFIRM_SECONDS. A new command
        replaces the one waiting, and its wrong-code count starts again."""
        code = f"{secrets.randbelow(10_000):04d}"
        payload = json.dumps({"code": code, "text": command_text, "seen": seen}, ensure_ascii=False)
        key = self._keys.admin_confirm(self.userid)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.set(key, payload, ex=CONFIRM_SECONDS)
            tx.delete(f"{key}:wrong")
            await tx.execute()
        return code

    async def confirm(self, code: str) -> Confirmed:
        """Use up the parked command if `code` is its code (compared in constant time); a
        wrong code counts, and the MAX_WRONG_CODES-th drops the parked command."""
        key = self._keys.admin_confirm(self.userid)
        raw = await self._redis.get(key)
        if not raw:
            return Confirmed("none")
        parked = json.loads(raw)
        right = secrets.compare_digest(str(parked["code"]).encode(), code.strip().encode())
        args = [raw, "ok" if right else "wrong", CONFIRM_SECONDS, MAX_WRONG_CODES]
        settled = int(await self._settle(keys=[key, f"{key}:wrong"], args=args))
        if settled < 0:
            return Confirmed("none")  # used up or replaced meanwhile
        if right:
            return Confirmed("ok", str(parked["text"]), parked.get("seen"))
        if settled >= MAX_WRONG_CODES:
            return Confirmed("dropped")
        return Confirmed("wrong", tries_left=MAX_WRONG_CODES - settled)

    async def paged(self, text: str) -> str:
        """The first page of `text`; the rest kept for `下一页`."""
        pages = split_pages(text)
        if len(pages) == 1:
            await self._redis.delete(self._keys.admin_pages(self.userid))
            return pages[0]
        rest = json.dumps({"pages": pages, "at": 1}, ensure_ascii=False)
        await self._redis.set(self._keys.admin_pages(self.userid), rest, ex=PAGES_SECONDS)
        return _footer(pages[0], 1, len(pages))

    async def next_page(self) -> str | None:
        key = self._keys.admin_pages(self.userid)
        raw = await self._redis.get(key)
        if not raw:
            return None
        state = json.loads(raw)
        pages, at = state["pages"], int(state["at"])
        if at >= len(pages):
            await self._redis.delete(key)
            return None
        if at + 1 >= len(pages):
            await self._redis.delete(key)
        else:
            state["at"] = at + 1
            await self._redis.set(key, json.dumps(state, ensure_ascii=False), ex=PAGES_SECONDS)
        return _footer(pages[at], at + 1, len(pages))


def _footer(page: str, number: int, total: int) -> str:
    more = "，回复「下一页」继续" if number < total else ""
    return f"{page}\n（第 {number}/{total} 页{more}）"


def split_pages(text: str, max_bytes: int = PAGE_BYTES) -> list[str]:
    """Whole lines per page where possible; a line longer than a page is cut."""
    pages: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode()) > max_bytes:
            head = line.encode()[:max_bytes].decode("utf-8", errors="ignore")
            if current:
                pages.append(current)
                current = ""
            pages.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) > max_bytes:
            pages.append(current)
            candidate = line
        current = candidate
    pages.append(current)
    return pages
