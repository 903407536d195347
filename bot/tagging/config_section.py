"""The auto-tagging feature's part of the configuration file: `tag_rules:`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config_io.sections import ListSection, written
from bot.keys import RedisKeys
from bot.tagging.rules import TagRule, rule_set_problem
from bot.tagging.rules import validate as validate_rule
from bot.tagging.store import TagRuleStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.text.guard import TextGuard


class TagRulesSection(ListSection):
    """Keyword rules that tag customers from the chat text the bot sees."""

    name, label, rank = "tag_rules", "自动标签规则", 80
    model = TagRule

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.tag_rules

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_rule(model)  # keywords are matched, never sent: no word check

    def check_all(self, models: list[Any]) -> list[str]:
        # the file's rules replace the stored ones: the corp's bounds are on them
        problem = rule_set_problem(models)
        return [problem] if problem else []

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        rules = TagRuleStore(redis, keys)
        for item in written(plan, self.name):
            rules.queue_save(tx, item.model)
        for item in plan.sections[self.name].removed:
            rules.queue_delete(tx, item.key)


SECTIONS = (TagRulesSection(),)
