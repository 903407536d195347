"""The script library's parts of the configuration file: `products:` and `scripts:`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config_io.sections import ListSection, written
from bot.keys import RedisKeys
from scripts_library.products import Product, ProductStore
from scripts_library.products import validate as validate_product
from scripts_library.scripts import Script, ScriptStore
from scripts_library.scripts import validate as validate_script
from scripts_library.transfer import to_script

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.text.guard import TextGuard


class ProductsSection(ListSection):
    """The product catalogue (cards in welcomes and the sidebar)."""

    name, label, rank, text = "products", "商品", 20, True
    model = Product

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.products

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_product(model, guard)

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        removed = [item.key for item in plan.sections[self.name].removed]
        ProductStore(redis, keys).queue_import(
            tx, [item.model for item in written(plan, self.name)], removed
        )


class ScriptsSection(ListSection):
    """The quick-reply script library; saves keep versions, history and the search index."""

    name, label, rank, text = "scripts", "话术", 30, True
    model = Script
    left_out = frozenset({"version", "created_by", "created_at", "updated_by", "updated_at"})

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.scripts

    def title(self, model: Any) -> str:
        return f"{model.category} / {model.title}"

    def construct(self, checked: dict[str, Any], raw: dict[str, Any]) -> Any:
        # the script import's own reading (visibility: everyone unless departments/staff listed)
        return to_script(raw)

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate_script(model, guard)

    def natural_key(self, model: Any) -> tuple[str, ...]:
        return (model.category, model.title)  # as the script import matches them

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        scripts, section = ScriptStore(redis, keys), plan.sections[self.name]
        for item in section.added:
            scripts.queue_save(tx, item.model, None, by, now)
        for old, new in section.changed:
            scripts.queue_save(tx, new.model, old.model, by, now)
        for item in section.removed:
            scripts.queue_delete(tx, item.model, by, now)


SECTIONS = (ProductsSection(), ScriptsSection())
