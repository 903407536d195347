"""What a section of the configuration file is: the contract each feature's section keeps.

Every feature that keeps configuration contributes its sections through its record
(`bot.features.Feature.config`); the file, the plan and the transaction loop over them. A
section reads its state from Redis (through the keys its store owns), turns it into items in
the file's form, parses and checks the file's items, and — when an import applies — queues
its writes on the import's transaction through its own store (the one writer of its keys).

`ListSection` is the common kind: records by id in one Redis hash, each item the store's
dataclass as a dict minus bookkeeping (versions, timestamps: the import sets those itself),
type-checked field by field (`bot.typed_input.Checker`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bot.config_io.items import Item, LineIndex, where
from bot.keys import RedisKeys
from bot.typed_input import Checker, type_name

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.config_io.undo import Undo
    from bot.text.guard import TextGuard
    from bot.wecom import WeComClient


class ConfigSection:
    """One top-level part of the configuration file; a feature subclasses it (or
    `ListSection`) and lists an instance in its record. Hooks not overridden do nothing."""

    name: str
    label: str  # how people call it: 话术, 渠道活码 …
    rank: int  # the file's order: what others refer to comes first
    text = False  # holds text customers see: checked with the word library after the import
    refers_to: tuple[str, ...] = ()  # sections its reference checks read (either side changing)
    id_bytes = 4  # of a random id given to a new item
    in_wecom = False  # its items live in WeCom too: `write_wecom` and `finish_wecom` run

    def keys(self, keys: RedisKeys) -> list[str]:
        """Every key this section's state is read from (and watched on while applying)."""
        raise NotImplementedError

    async def read(self, client: Any, keys: RedisKeys) -> tuple[Any, ...]:
        """The stored state (`client`: Redis, or a pipeline watching the keys)."""
        raise NotImplementedError

    def current(self, state: tuple[Any, ...]) -> dict[str, Item]:
        """The stored items, by key."""
        raise NotImplementedError

    def parse(self, value: Any, lines: LineIndex) -> tuple[list[Item], list[str]]:
        """The file's items (an empty key: no id given) and every problem found."""
        raise NotImplementedError

    def dump(self, items: Iterable[Item]) -> Any:
        """The section's value in the file."""
        raise NotImplementedError

    def check(self, desired: Mapping[str, Item], guard: TextGuard | None) -> list[str]:
        """The store's own checks on every item, and those across items."""
        return []

    def check_references(
        self, after: Mapping[str, Mapping[str, Item]], media_present: set[str], own: bool
    ) -> list[str]:
        """References that must hold after the import (`after`: this section and those it
        refers to); `own`: this section is in the file (not only one it refers to)."""
        return []

    def media(self, items: Iterable[Item]) -> set[str]:
        """Uploaded files the items refer to (their presence is checked)."""
        return set()

    def natural_key(self, model: Any) -> tuple[str, ...] | None:
        """What identifies a stored item when the file gives no id (None: only its id)."""
        return None

    def adopt(self, item: Item, stored: Item | None) -> str | None:
        """Carry over what the import must not change (fields WeCom owns); a problem, or None."""
        return None

    def must_write(self, state: tuple[Any, ...]) -> bool:
        """Whether applying the file writes this section even when no item changed."""
        return False

    async def before_export(self, redis: Redis, keys: RedisKeys) -> None:
        """Anything the running bot would add by itself, added before an export reads."""

    async def prepare(self, redis: Redis, keys: RedisKeys, plan: Plan, now: float) -> Any:
        """Reads the writes need, done before the transaction starts."""
        return None

    async def queue(
        self,
        tx: Any,
        redis: Redis,
        keys: RedisKeys,
        plan: Plan,
        prepared: Any,
        by: str,
        now: float,
    ) -> None:
        """Queue the section's writes on the import's transaction, through its store."""
        raise NotImplementedError

    async def committed(self, redis: Redis, keys: RedisKeys, plan: Plan) -> None:
        """After the transaction committed (announcements to other processes)."""

    async def write_wecom(self, plan: Plan, wecom: WeComClient, undo: Undo) -> None:
        """With `in_wecom`, before the transaction: create or change the added and changed
        items in WeCom (their models take WeCom's ids), adding to `undo` how to take each
        write back should the transaction not commit."""

    async def finish_wecom(self, plan: Plan, wecom: WeComClient) -> list[str]:
        """With `in_wecom`, after the commit: delete the removed items in WeCom; returns
        warnings for what WeCom kept (an unused code, never a stored item without one)."""
        return []


class ListSection(ConfigSection):
    """Records kept by id in one Redis hash, written as a list of the store's dataclasses."""

    model: type[Any]
    left_out: frozenset[str] = frozenset()  # the store's bookkeeping, not in the file

    def hash_key(self, keys: RedisKeys) -> str:
        raise NotImplementedError

    def load(self, raw: str) -> Any:
        return self.model.from_json(raw)

    def title(self, model: Any) -> str:
        return str(model.name)

    def construct(self, checked: dict[str, Any], raw: dict[str, Any]) -> Any:
        """The model from the checked fields (`raw`: the file's item as written)."""
        return self.model(**checked)

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        """The store's validation of one record; `ValueError` says what is wrong."""

    def check_all(self, models: list[Any]) -> list[str]:
        """Checks across the section's records (bounds on the whole set)."""
        return []

    def index_keys(self, keys: RedisKeys) -> list[tuple[str, str]]:
        """Index keys read along with the hash: (key, "hash" | "set")."""
        return []

    def keys(self, keys: RedisKeys) -> list[str]:
        return [self.hash_key(keys), *(key for key, _kind in self.index_keys(keys))]

    async def read(self, client: Any, keys: RedisKeys) -> tuple[Any, ...]:
        rows: list[Any] = [dict(await client.hgetall(self.hash_key(keys)))]
        for key, kind in self.index_keys(keys):
            if kind == "set":
                rows.append(set(await client.smembers(key)))
            else:
                rows.append(dict(await client.hgetall(key)))
        return tuple(rows)

    def current(self, state: tuple[Any, ...]) -> dict[str, Item]:
        items = {}
        for key in sorted(state[0]):
            model = self.load(state[0][key])
            items[key] = Item(key, self.title(model), self.export(model), model)
        return items

    def export(self, model: Any) -> dict[str, Any]:
        """A model in the file's form: every field but the bookkeeping, in declared order."""
        return {k: v for k, v in asdict(model).items() if k not in self.left_out}

    def parse(self, value: Any, lines: LineIndex) -> tuple[list[Item], list[str]]:
        if not isinstance(value, list):
            return [], [f"{self.name}：应是列表，而不是{type_name(value)}"]
        items: list[Item] = []
        problems: list[str] = []
        for n, raw in enumerate(value):
            key = str(raw.get("id") or "") if isinstance(raw, dict) else ""
            label = where(self.name, n, key, lines.line(self.name, n))
            checker = Checker()
            checked = checker.fields(
                self.model, raw, ignored=self.left_out, optional=frozenset({"id"})
            )
            if checked is None or checker.problems:
                problems += [f"{label}: {p}" for p in checker.problems]
                continue
            checked.setdefault("id", "")
            try:
                model = self.construct(checked, raw)
            except (TypeError, ValueError) as exc:
                problems.append(f"{label}: {exc}")
                continue
            items.append(Item(model.id, self.title(model), self.export(model), model, label))
        return items, problems

    def dump(self, items: Iterable[Item]) -> list[dict[str, Any]]:
        return [item.data for item in sorted(items, key=lambda i: i.key)]

    def check(self, desired: Mapping[str, Item], guard: TextGuard | None) -> list[str]:
        problems = []
        for item in desired.values():
            try:
                self.check_item(item.model, guard)
            except ValueError as exc:
                problems.append(f"{item.where}: {exc}")
        found = self.check_all([item.model for item in desired.values()])
        return problems + [f"{self.name}: {problem}" for problem in found]


def owned(item: Item, stored: Item | None, id_field: str, kept: tuple[str, ...]) -> str | None:
    """Keep what WeCom owns from the stored record; a different WeCom id is refused."""
    model = item.model
    given = getattr(model, id_field)
    if stored is not None:
        known = getattr(stored.model, id_field)
        if given and known and given != known:
            return (
                f"{item.where}: {id_field} {given} 与现有的 {known} 不同；"
                f"{id_field} 由企业微信生成，请保留导出时的值或留空"
            )
        setattr(model, id_field, known or given)
    for name in kept:
        value = getattr(stored.model, name) if stored else type(getattr(model, name))()
        setattr(model, name, value)
    return None


def written(plan: Plan, name: str) -> list[Item]:
    """The section's items the import adds or changes (the file's version)."""
    section = plan.sections[name]
    return [*section.added, *(new for _old, new in section.changed)]


@functools.cache
def all_sections() -> dict[str, ConfigSection]:
    """Every feature's sections by name, in the file's order."""
    from bot.features import config_sections  # the records import the sections' modules

    ranked = sorted(config_sections(), key=lambda section: section.rank)
    return {section.name: section for section in ranked}


def section_order() -> tuple[str, ...]:
    """The sections' names in the order the file lists them."""
    return tuple(all_sections())
