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
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from bot.config_io.fileio import ConfigFile
from bot.config_io.items import ConfigProblems, Item
from bot.config_io.sections import ConfigSection, ListSection, all_sections, section_order
from bot.keys import RedisKeys

if TYPE_CHECKING:
    from bot.text.config_section import WordsSection
    from bot.welcome.config_remote import RemoteLookups, RemoteSide

WORDS = "words"  # the section whose library checks every other section's text


@dataclass
class SectionPlan:
    """What the import does to one section."""

    name: str
    label: str
    added: list[Item] = field(default_factory=list)
    changed: list[tuple[Item, Item]] = field(default_factory=list)  # (stored, from the file)
    removed: list[Item] = field(default_factory=list)
    unchanged: int = 0
    must_write: bool = False  # applied even without item changes (see ConfigSection)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def writes(self) -> bool:
        return self.has_changes or self.must_write

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
    notes: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(s.writes for s in self.sections.values())

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


def _read_set(chosen: list[str]) -> set[str]:
    """The sections to read: the chosen ones, those that refer to them, everything either
    refers to, and the word library when any holds text."""
    sections = all_sections()
    read = set(chosen)
    for name, section in sections.items():
        refs = set(section.refers_to)
        if name in chosen or refs & set(chosen):
            # its checks run either way, and read every section it refers to
            read |= {name, *refs}
    if any(sections[name].text for name in read):
        read.add(WORDS)
    return read


async def make_plan(
    redis: Redis,
    keys: RedisKeys,
    config: ConfigFile,
    only: Collection[str] | None,
    remote: RemoteSide,
) -> Plan:
    """Check `config` as a whole against what is stored and plan it; `ConfigProblems` lists
    every problem found (nothing is written either way)."""
    sections = all_sections()
    order = section_order()
    chosen = [n for n in order if n in config.sections and (only is None or n in only)]
    names = [n for n in order if n in _read_set(chosen)]
    state = {name: await sections[name].read(redis, keys) for name in names}
    current = {name: sections[name].current(state[name]) for name in names}
    problems: list[str] = []
    desired: dict[str, dict[str, Item]] = {}
    for name in chosen:
        items, found = sections[name].parse(config.sections[name], config.lines)
        problems += found
        desired[name] = _keyed(sections[name], items, current[name], problems)
    after = {name: desired.get(name, current[name]) for name in names}
    words: WordsSection = sections[WORDS]  # type: ignore[assignment]
    guard = words.guard(redis, keys, desired.get(WORDS), state.get(WORDS))
    for name in chosen:
        problems += sections[name].check(desired[name], guard)
    refs = {ref for name in chosen for ref in sections[name].media(desired[name].values())}
    media = {keys.media_blob(ref): bool(await redis.exists(keys.media_blob(ref))) for ref in refs}
    present = {ref for ref in refs if media[keys.media_blob(ref)]}
    for name in names:
        section = sections[name]
        if name in desired or set(section.refers_to) & set(desired):
            problems += section.check_references(after, present, name in desired)
    if problems:
        raise ConfigProblems(sorted(problems, key=_position))
    lookups, found, notes = await remote.lookup(desired, current)
    if found:
        raise ConfigProblems(found)
    plan = Plan(
        sections={name: _diff(sections[name], current[name], desired[name]) for name in chosen},
        desired=desired,
        current=current,
        state=state,
        media=media,
        watched=[k for name in names for k in sections[name].keys(keys)] + sorted(media),
        remote=lookups,
        notes=notes,
    )
    for name in chosen:
        plan.sections[name].must_write = sections[name].must_write(state[name])
    missing = remote.missing_client(plan.sections)
    if missing:
        raise ConfigProblems([missing])
    return plan


def _keyed(
    section: ConfigSection, items: list[Item], current: dict[str, Item], problems: list[str]
) -> dict[str, Item]:
    """The file's items by key: ids given where missing, duplicates refused, and the fields
    WeCom owns (channel config_id and QR code, group welcome template_id) taken over."""
    result: dict[str, Item] = {}
    naming = _Naming(section, current, {item.key for item in items if item.key})
    for item in items:
        if not item.key:
            naming.give_id(item)
        if item.key in result:
            problems.append(f"{item.where}: {item.key} 在这一部分出现了不止一次")
            continue
        result[item.key] = item
        problem = section.adopt(item, current.get(item.key))
        if problem:
            problems.append(problem)
        if isinstance(section, ListSection):
            item.data = section.export(item.model)
    return result


class _Naming:
    """Ids for items written without one: the stored item with the same natural key, unless
    the file lists that id itself; else a new random id."""

    def __init__(self, section: ConfigSection, current: dict[str, Item], listed: set[str]) -> None:
        self._section = section
        self._taken = set(listed)
        self._natural: dict[tuple[str, ...], list[str]] = {}
        for key, item in current.items():
            natural = section.natural_key(item.model)
            if natural is not None:
                self._natural.setdefault(natural, []).append(key)

    def give_id(self, item: Item) -> None:
        natural = self._section.natural_key(item.model)
        same = self._natural.get(natural, []) if natural is not None else []
        free = [key for key in same if key not in self._taken]
        item.model.id = free[0] if free else secrets.token_hex(self._section.id_bytes)
        item.key = item.model.id
        if isinstance(self._section, ListSection):
            item.data = self._section.export(item.model)
        self._taken.add(item.key)


def _diff(
    section: ConfigSection, current: dict[str, Item], desired: dict[str, Item]
) -> SectionPlan:
    plan = SectionPlan(section.name, section.label)
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
    order = section_order()
    if found is None or found[1] not in order:
        return (-1, 0)
    return (order.index(found[1]), int(found[2] or 0))
