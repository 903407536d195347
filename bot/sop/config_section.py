"""The SOP feature's part of the configuration file: `sops:`. Saving a rule through an import
moves its scheduled steps exactly as a save from chat or the CLI does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config_io.sections import ListSection, written
from bot.keys import RedisKeys
from bot.sop.rules import SopRule
from bot.sop.rules import validate as validate_sop
from bot.sop.store import Reschedule, SopStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.text.guard import TextGuard


class SopsSection(ListSection):
    """SOP rules with their steps."""

    name, label, rank, text = "sops", "SOP", 90, True
    model = SopRule
    left_out = frozenset({"version", "updated_at", "updated_by"})

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.sop_rules

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_sop(model, guard)

    async def prepare(
        self, redis: Redis, keys: RedisKeys, plan: Plan, now: float
    ) -> dict[str, Reschedule | list[str]]:
        """What saving (or removing) each rule does to the scheduler, read before MULTI."""
        store = SopStore(redis, keys)
        moves: dict[str, Reschedule | list[str]] = {}
        for item in written(plan, self.name):
            moves[item.key] = await store.reschedule_plan(item.model, now)
        for item in plan.sections[self.name].removed:
            moves[item.key] = await store.jobs_of(item.key)
        return moves

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        stored = plan.current[self.name]
        saved = [
            (item.model, stored[item.key].model if item.key in stored else None)
            for item in written(plan, self.name)
        ]
        removed = [item.key for item in plan.sections[self.name].removed]
        await SopStore(redis, keys).queue_import(tx, saved, removed, prepared, by, now)


SECTIONS = (SopsSection(),)
