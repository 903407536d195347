"""Tag rules in Redis, and each process's compiled matcher kept in step with them."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.tagging.rules import RuleError, RuleMatcher, TagRule, new_rule_id, validate


class TagRuleStore:
    """The tag rules of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, rule: TagRule) -> TagRule:
        validate(rule)
        rule.id = rule.id or new_rule_id()
        async with self._redis.pipeline(transaction=True) as tx:
            self.queue_save(tx, rule)
            await tx.execute()
        return rule

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
    """One compiled matcher per process, rebuilt only when the rules' version moved."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._matcher = RuleMatcher([])

    async def current(self, redis: Redis, keys: RedisKeys) -> RuleMatcher:
        version = str(await redis.get(keys.tag_rules_version) or "0")
        if version != self._version:
            self._matcher = RuleMatcher(await TagRuleStore(redis, keys).all())
            self._version = version
        return self._matcher
