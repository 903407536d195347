"""Planning an import: read what is stored, check the whole file, and diff it section by section.

A section in the file is made equal to the file (stored items it doesn't list are removed); a
section left out — or not chosen with `only` — is not read for changes at all. Every problem of
the file is collected before anything is decided: types, duplicate ids, each store's own checks
(sensitive words against the library as it will be after the import), references between
sections (products in welcome templates, group welcomes in greetings).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.attachments import references
from bot.config_io.checks import check_items, check_references, guard_for
from bot.config_io.fileio import SECTION_ORDER, ConfigFile
from bot.config_io.items import ConfigProblems, Item
from bot.config_io.mappings import GreetingsSection, WordsSection
from bot.config_io.remote import RemoteLookups, RemoteSide
from bot.config_io.sections import LIST_SECTIONS, ListSection
from bot.keys import RedisKeys

Section = ListSection | WordsSection | GreetingsSection
SECTIONS: dict[str, Section] = {
    s.name: s for s in (WordsSection(), *LIST_SECTIONS, GreetingsSection())
}
LISTS = {s.name: s for s in LIST_SECTIONS}
TEXT_SECTIONS = frozenset({"products", "scripts", "welcome_templates", "group_welcomes", "sops"})
# sections whose checks need another one as it will be after the import
RELATED = {
    "welcome_templates": ("products",),
    "products": ("welcome_templates",),
    "group_greetings": ("group_welcomes",),
    "group_welcomes": ("group_greetings",),
}


@dataclass
class SectionPlan:
    """What the import does to one section."""

    name: str
    label: str
    added: list[Item] = field(default_factory=list)
    changed: list[tuple[Item, Item]] = field(default_factory=list)  # (stored, from the file)
    removed: list[Item] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            **self.counts(),
            "added_items": [item.ref() for item in self.added],
            "changed_items": [
                new.ref() | {"fields": field_changes(old.data, new.data)}
                for old, new in self.changed
            ],
            "removed_items": [item.ref() for item in self.removed],
        }


def field_changes(old: Any, new: Any) -> dict[str, list[Any]]:
    """What differs between a stored item and the file's, field by field: name -> [old, new]
    (a value that isn't a record is one field, "value")."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {} if old == new else {"value": [old, new]}
    return {
        name: [old.get(name), new.get(name)]
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    }


@dataclass
class Plan:
    """A checked import, ready to apply: per-section diffs and the state they were made from."""

    sections: dict[str, SectionPlan]
    desired: dict[str, dict[str, Item]]
    current: dict[str, dict[str, Item]]
    state: dict[str, tuple[Any, ...]]  # everything read, as read: compared again under WATCH
    media: dict[str, bool]  # media blob key -> existed
    watched: list[str]
    remote: RemoteLookups
    mark_seeded: bool = False  # the file sets the words: the starter list must not come back
    notes: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return self.mark_seeded or any(s.has_changes for s in self.sections.values())

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: section.counts() for name, section in self.sections.items()}

    def summary(self, target: str) -> str:
        """One line in Chinese for the audit log."""
        parts = [
            f"{s.label} 新增 {len(s.added)}、修改 {len(s.changed)}、删除 {len(s.removed)}"
            for s in self.sections.values()
            if s.has_changes
        ]
        return f"导入配置 {target}：" + ("；".join(parts) if parts else "无变化")

    def as_dict(self) -> dict[str, Any]:
        return {
            "sections": {name: section.as_dict() for name, section in self.sections.items()},
            "notes": self.notes,
        }


async def make_plan(
    redis: Redis,
    keys: RedisKeys,
    config: ConfigFile,
    only: Collection[str] | None,
    remote: RemoteSide,
) -> Plan:
    """Check `config` as a whole against what is stored and plan it; `ConfigProblems` lists
    every problem found (nothing is written either way)."""
    chosen = [n for n in SECTION_ORDER if n in config.sections and (only is None or n in only)]
    read = set(chosen) | {r for n in chosen for r in RELATED.get(n, ())}
    if read & TEXT_SECTIONS:
        read.add("words")
    names = [n for n in SECTION_ORDER if n in read]
    state = {name: await SECTIONS[name].read(redis, keys) for name in names}
    current = {name: SECTIONS[name].current(state[name]) for name in names}
    problems: list[str] = []
    desired: dict[str, dict[str, Item]] = {}
    for name in chosen:
        items, found = SECTIONS[name].parse(config.sections[name], config.lines)
        problems += found
        desired[name] = _keyed(name, items, current[name], problems)
    after = {name: desired.get(name, current[name]) for name in names}
    guard = guard_for(redis, keys, desired.get("words"), state.get("words"))
    problems += check_items(chosen, desired, guard)
    refs = {
        ref
        for item in desired.get("welcome_templates", {}).values()
        for attachments in (item.model.attachments, *(s.attachments for s in item.model.slots))
        for ref in references(attachments)[0]
    }
    media = {keys.media_blob(ref): bool(await redis.exists(keys.media_blob(ref))) for ref in refs}
    problems += check_references(desired, after, {r for r in refs if media[keys.media_blob(r)]})
    if problems:
        raise ConfigProblems(sorted(problems, key=_position))
    lookups, found, notes = await remote.lookup(desired, current)
    if found:
        raise ConfigProblems(found)
    sections = {name: _diff(name, current[name], desired[name]) for name in chosen}
    words = state.get("words")
    plan = Plan(
        sections=sections,
        desired=desired,
        current=current,
        state=state,
        media=media,
        watched=[k for name in names for k in SECTIONS[name].keys(keys)] + sorted(media),
        remote=lookups,
        mark_seeded="words" in desired and words is not None and not words[-1],
        notes=notes,
    )
    missing = remote.missing_client(plan.sections)
    if missing:
        raise ConfigProblems([missing])
    return plan


def _keyed(
    name: str, items: list[Item], current: dict[str, Item], problems: list[str]
) -> dict[str, Item]:
    """The file's items by key: ids given where missing, duplicates refused, and the fields
    WeCom owns (channel config_id and QR code, group welcome template_id) taken over."""
    result: dict[str, Item] = {}
    naming = _Naming(name, current, {item.key for item in items if item.key})
    for item in items:
        if not item.key:
            naming.give_id(item)
        if item.key in result:
            problems.append(f"{item.where}: {item.key} 在这一部分出现了不止一次")
            continue
        result[item.key] = item
        stored = current.get(item.key)
        if name == "channels":
            problem = _owned(item, stored, "config_id", ("qr_code", "active"))
        elif name == "group_welcomes":
            problem = _owned(item, stored, "template_id", ("updated_at",))
        else:
            continue
        if problem:
            problems.append(problem)
        item.data = LISTS[name].export(item.model)
    return result


# what identifies a stored item when the file gives no id (one template per scope anyway;
# a script by its place and title, as the script import does)
NATURAL_KEYS: dict[str, Callable[[Any], tuple[str, str]]] = {
    "scripts": lambda script: (script.category, script.title),
    "welcome_templates": lambda template: (template.scope, template.target),
}


class _Naming:
    """Ids for items written without one: the stored item with the same natural key, unless
    the file lists that id itself; else a new random id."""

    def __init__(self, name: str, current: dict[str, Item], listed: set[str]) -> None:
        self._name = name
        self._taken = set(listed)
        self._natural: dict[tuple[str, str], list[str]] = {}
        natural = NATURAL_KEYS.get(name)
        if natural is not None:
            for key, item in current.items():
                self._natural.setdefault(natural(item.model), []).append(key)

    def give_id(self, item: Item) -> None:
        natural = NATURAL_KEYS.get(self._name)
        same = self._natural.get(natural(item.model), []) if natural else []
        free = [key for key in same if key not in self._taken]
        item.model.id = free[0] if free else secrets.token_hex(3 if self._name == "channels" else 4)
        item.key = item.model.id
        item.data = LISTS[self._name].export(item.model)
        self._taken.add(item.key)


def _owned(item: Item, stored: Item | None, id_field: str, kept: tuple[str, ...]) -> str | None:
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


def _diff(name: str, current: dict[str, Item], desired: dict[str, Item]) -> SectionPlan:
    plan = SectionPlan(name, SECTIONS[name].label)
    for key, item in desired.items():
        stored = current.get(key)
        if stored is None:
            plan.added.append(item)
        elif stored.data != item.data:
            plan.changed.append((stored, item))
        else:
            plan.unchanged += 1
    plan.removed = [item for key, item in current.items() if key not in desired]
    return plan


_PLACE = re.compile(r"^(\w+)(?:\[(\d+)\])?")


def _position(problem: str) -> tuple[int, int]:
    """Where a problem is in the file (section, item), to list problems in file order."""
    found = _PLACE.match(problem)
    if found is None or found[1] not in SECTION_ORDER:
        return (-1, 0)
    return (SECTION_ORDER.index(found[1]), int(found[2] or 0))
