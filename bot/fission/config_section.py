"""Fission activities in the configuration file (`fission`): the window, rules, reward and
poster of each. Participants, invitees, progress, rewards and the coupon pool are not
configuration: they stay as they are (and an activity removed by an import keeps its records
until its personal codes are retired)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.config_io.items import Item
from bot.config_io.sections import ListSection, written
from bot.fission.model import Activity, validate
from bot.fission.store import FissionStore
from bot.keys import RedisKeys

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.text.guard import TextGuard


class FissionSection(ListSection):
    """Referral fission activities."""

    name, label, rank, text = "fission", "裂变活动", 85, True
    model = Activity
    id_bytes = 3

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.fission_activities

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate(model)
        if guard is not None:
            for text in (model.name, model.reward_text, model.poster_text):
                guard.check_outgoing(text)

    def media(self, items: Iterable[Item]) -> set[str]:
        return {item.model.poster_ref for item in items if item.model.poster_ref}

    def check_references(
        self, after: Mapping[str, Mapping[str, Item]], media_present: set[str], own: bool
    ) -> list[str]:
        if not own:
            return []
        problems = []
        for item in after[self.name].values():
            if item.model.poster_ref not in media_present:
                where = item.where or f"fission (id {item.key})"
                problems.append(f"{where}: 海报图片 {item.model.poster_ref} 不在库中，请先上传")
        return problems

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        removed = [item.key for item in plan.sections[self.name].removed]
        FissionStore.queue_import(
            tx, keys, [item.model for item in written(plan, self.name)], removed
        )


SECTIONS = (FissionSection(),)
