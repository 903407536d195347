"""The list sections of a configuration file: one per store that keeps records by id.

Each section reads its Redis hash (id → JSON, as the store writes it), turns records into
items in the file's form (the store's dataclass as a dict, minus bookkeeping such as versions
and timestamps, which the import sets itself), and parses the file's items back into the
store's dataclass, type-checked field by field (`bot.typed_input.Checker`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from bot.config_io.items import Item, LineIndex, where
from bot.keys import RedisKeys
from bot.sop.rules import SopRule
from bot.tagging.rules import TagRule
from bot.typed_input import Checker, type_name
from bot.welcome.channels import Channel
from bot.welcome.group import GroupWelcome
from bot.welcome.templates import WelcomeTemplate
from scripts_library.products import Product
from scripts_library.scripts import Script
from scripts_library.transfer import to_script

Construct = Callable[[dict[str, Any], dict[str, Any]], Any]  # (checked fields, raw) -> model


def _dataclass(model: type[Any]) -> Construct:
    return lambda checked, _raw: model(**checked)


def _script(_checked: dict[str, Any], raw: dict[str, Any]) -> Script:
    # the script import's own reading (visibility: everyone unless departments/staff listed)
    return to_script(raw)


def _name(model: Any) -> str:
    return str(model.name)


def _no_index(_keys: RedisKeys) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class ListSection:
    """A section of records kept by id in one Redis hash (plus index keys it reads along)."""

    name: str
    label: str
    model: type[Any]
    hash_key: Callable[[RedisKeys], str]
    load: Callable[[str], Any]
    title: Callable[[Any], str]
    left_out: frozenset[str] = frozenset()  # the store's bookkeeping, not in the file
    construct: Construct | None = None
    index_keys: Callable[[RedisKeys], list[tuple[str, str]]] = _no_index  # (key, "hash"|"set")

    def keys(self, keys: RedisKeys) -> list[str]:
        """Every key this section's state is read from (and watched on)."""
        return [self.hash_key(keys), *(key for key, _kind in self.index_keys(keys))]

    async def read(self, client: Any, keys: RedisKeys) -> tuple[Any, ...]:
        """The section's stored state (`client`: Redis, or a pipeline watching the keys)."""
        rows: list[Any] = [dict(await client.hgetall(self.hash_key(keys)))]
        for key, kind in self.index_keys(keys):
            if kind == "set":
                rows.append(set(await client.smembers(key)))
            else:
                rows.append(dict(await client.hgetall(key)))
        return tuple(rows)

    def current(self, state: tuple[Any, ...]) -> dict[str, Item]:
        """The stored items, by id."""
        items = {}
        for key in sorted(state[0]):
            model = self.load(state[0][key])
            items[key] = Item(key, self.title(model), self.export(model), model)
        return items

    def export(self, model: Any) -> dict[str, Any]:
        """A model in the file's form: every field but the bookkeeping, in declared order."""
        return {k: v for k, v in asdict(model).items() if k not in self.left_out}

    def parse(self, value: Any, lines: LineIndex) -> tuple[list[Item], list[str]]:
        """The file's items (an empty key: no id given) and every problem found."""
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
                model = (self.construct or _dataclass(self.model))(checked, raw)
            except (TypeError, ValueError) as exc:
                problems.append(f"{label}: {exc}")
                continue
            items.append(Item(model.id, self.title(model), self.export(model), model, label))
        return items, problems

    def dump(self, items: Iterable[Item]) -> list[dict[str, Any]]:
        return [item.data for item in sorted(items, key=lambda i: i.key)]


def _welcome_index(keys: RedisKeys) -> list[tuple[str, str]]:
    return [(keys.welcome_scopes, "hash"), (keys.welcome_departments, "set")]


LIST_SECTIONS = (
    ListSection("products", "商品", Product, lambda k: k.products, Product.from_json, _name),
    ListSection(
        "scripts",
        "话术",
        Script,
        lambda k: k.scripts,
        Script.from_json,
        lambda m: f"{m.category} / {m.title}",
        frozenset({"version", "created_by", "created_at", "updated_by", "updated_at"}),
        _script,
    ),
    ListSection(
        "welcome_templates",
        "欢迎语模板",
        WelcomeTemplate,
        lambda k: k.welcome_templates,
        WelcomeTemplate.from_json,
        lambda m: f"{m.name}（{m.scope}{':' + m.target if m.target else ''}）",
        index_keys=_welcome_index,
    ),
    ListSection(
        "group_welcomes",
        "入群欢迎语",
        GroupWelcome,
        lambda k: k.group_welcomes,
        GroupWelcome.from_json,
        _name,
        frozenset({"updated_at"}),
    ),
    ListSection(
        "channels",
        "渠道活码",
        Channel,
        lambda k: k.channels,
        Channel.from_json,
        _name,
        frozenset({"active"}),
    ),
    ListSection(
        "tag_rules", "自动标签规则", TagRule, lambda k: k.tag_rules, TagRule.from_json, _name
    ),
    ListSection(
        "sops",
        "SOP",
        SopRule,
        lambda k: k.sop_rules,
        SopRule.from_json,
        _name,
        frozenset({"version", "updated_at", "updated_by"}),
    ),
)
