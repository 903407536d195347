"""Tag rules in Redis, and each process's compiled matcher kept in step with them."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from bot.keys import RedisKeys
from bot.tagging.rules import (
    RuleError,
    RuleMatcher,
    TagRule,
    new_rule_id,
    rule_set_problem,
    validate,
)

SAVE_ATTEMPTS = 5  # a save retries when another changed the rules between its read and write


class TagRuleStore:
    """The tag rules of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, rule: TagRule) -> TagRule:
        """Check and store `rule`: every way a rule enters (CLI, admin chat, undo) ends here,
        so the per-corp bounds are checked against the rules as stored, under WATCH."""
        validate(rule)
        rule.id = rule.id or new_rule_id()
        for _ in range(SAVE_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as tx:
                await tx.watch(self._keys.tag_rules)
                stored = await tx.hgetall(self._keys.tag_rules)
                others = [TagRule.from_json(v) for k, v in stored.items() if k != rule.id]
                problem = rule_set_problem([*others, rule])
                if problem:
                    raise RuleError(problem)
                tx.multi()
                self.queue_save(tx, rule)
                try:
                    await tx.execute()
                except WatchError:
                    continue
            return rule
        raise RuleError("标签规则正被同时修改，请稍后重试")

    def queue_save(self, tx: Any, rule: TagRule) -> None:
        """Queue storing a (checked, with an id) rule and the version bump every process's
        `MatcherCache` rebuilds on."""
        tx.hset(self._keys.tag_rules, rule.id, rule.to_json())
        tx.incr(self._keys.tag_rules_version)

    def queue_delete(self, tx: Any, rule_id: str) -> None:
        """Queue removing a rule, with the version bump (the first result: 1 if it existed)."""
        tx.hdel(self._keys.tag_rules, rule_id)
        tx.incr(self._keys.tag_rules_version)

    async def get(self, rule_id: str) -> TagRule | None:
        raw = await self._redis.hget(self._keys.tag_rules, rule_id)
        return TagRule.from_json(raw) if raw else None

    async def all(self) -> list[TagRule]:
        rows = await self._redis.hgetall(self._keys.tag_rules)
        return sorted((TagRule.from_json(v) for v in rows.values()), key=lambda r: r.id)

    async def delete(self, rule_id: str) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            self.queue_delete(tx, rule_id)
            removed, _ = await tx.execute()
        if not removed:
            raise RuleError(f"没有规则 {rule_id}")


class MatcherCache:
    """One compiled matcher per process, rebuilt only when the rules' version moved.

    The rebuild runs in a thread: it is linear in the rules' words but takes up to ~0.25 s at
    the per-corp bounds, and the event loop must keep serving meanwhile. Messages arriving
    during a rebuild wait for it (one build, not one per message)."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._matcher = RuleMatcher([])
        self._rebuilding = asyncio.Lock()

    async def current(self, redis: Redis, keys: RedisKeys) -> RuleMatcher:
        if await self._version_of(redis, keys) == self._version:
            return self._matcher
        async with self._rebuilding:
            version = await self._version_of(redis, keys)  # a waiter may find it done
            if version != self._version:
                rules = await TagRuleStore(redis, keys).all()
                self._matcher = await asyncio.to_thread(RuleMatcher, rules)
                self._version = version
        return self._matcher

    @staticmethod
    async def _version_of(redis: Redis, keys: RedisKeys) -> str:
        return str(await redis.get(keys.tag_rules_version) or "0")
