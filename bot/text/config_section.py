"""The sensitive-word feature's part of the configuration file: `words:`.

The library is written as lists of words by category, allowed phrases, per-category actions
and the contact detectors switched on; as items it is flat (`words:最好`, `allow:最好吃`,
`actions:competitor`, `detectors:phone`), so the diff names each word that comes or goes. The
import checks every text of the other sections with the library as it will be afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.config_io.items import Item, LineIndex
from bot.config_io.sections import ConfigSection
from bot.keys import RedisKeys
from bot.text.categories import CATEGORY_NAMES, WORD_CATEGORIES
from bot.text.detectors import DETECTORS
from bot.text.filter import ACTIONS
from bot.text.guard import TextGuard
from bot.text.lexicon import phrase_problem, word_problem
from bot.text.library import LibraryError, WordLibrary, category_of
from bot.text.snapshot import LibrarySnapshot
from bot.text.starter import AD_LAW_TERMS, SEED_VERSION, seed_starter_words
from bot.typed_input import type_name

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan

WORD_PARTS = ("by_category", "allow", "actions", "detectors")


class WordsSection(ConfigSection):
    """The sensitive-word library (`words:`)."""

    name, label, rank = "words", "敏感词库", 10

    def keys(self, keys: RedisKeys) -> list[str]:
        return [
            keys.words,
            keys.words_allow,
            keys.words_actions,
            keys.words_detectors,
            keys.words_seeded,
        ]

    async def read(self, client: Any, keys: RedisKeys) -> tuple[Any, ...]:
        return (
            dict(await client.hgetall(keys.words)),
            set(await client.smembers(keys.words_allow)),
            dict(await client.hgetall(keys.words_actions)),
            set(await client.smembers(keys.words_detectors)),
            bool(await client.get(keys.words_seeded)),
        )

    def current(self, state: tuple[Any, ...]) -> dict[str, Item]:
        words, allow, actions, detectors, _seeded = state
        items = [_word(w, c) for w, c in words.items()]
        items += [Item(f"allow:{p}", "放行短语", "") for p in allow]
        items += [Item(f"actions:{c}", a, a) for c, a in actions.items()]
        items += [Item(f"detectors:{d}", CATEGORY_NAMES.get(d, d), "") for d in detectors]
        return {item.key: item for item in sorted(items, key=lambda i: i.key)}

    def parse(self, value: Any, lines: LineIndex) -> tuple[list[Item], list[str]]:
        if not isinstance(value, dict):
            parts = " / ".join(WORD_PARTS)
            return [], [f"words：应是对象（{parts}），而不是{type_name(value)}"]
        problems = [f"words：未知字段 {k}" for k in value if k not in WORD_PARTS]
        items: list[Item] = []
        by_category = value.get("by_category") or {}
        if not isinstance(by_category, dict):
            problems.append(
                f"words.by_category：应是对象（分类: 词列表），而不是{type_name(by_category)}"
            )
            by_category = {}
        for name, words in by_category.items():
            at = f"words.by_category.{name}"
            try:
                category = category_of(str(name))
            except LibraryError as exc:
                problems.append(
                    f"{at}（第 {lines.line('words', 'by_category', str(name))} 行）: {exc}"
                )
                continue
            for word in _strings(words, at, problems):
                problem = word_problem(word)
                if problem:
                    problems.append(f"{at}: 「{word}」{problem}")
                else:
                    items.append(_word(word, category))
        for phrase in _strings(value.get("allow") or [], "words.allow", problems):
            problem = phrase_problem(phrase)
            if problem:
                problems.append(f"words.allow: 「{phrase}」{problem}")
            items.append(Item(f"allow:{phrase}", "放行短语", ""))
        actions = value.get("actions") or {}
        if not isinstance(actions, dict):
            problems.append(
                f"words.actions：应是对象（分类: block/mask/flag），而不是{type_name(actions)}"
            )
            actions = {}
        for name, action in actions.items():
            try:
                category = str(name) if name in DETECTORS else category_of(str(name))
            except LibraryError as exc:
                problems.append(f"words.actions.{name}: {exc}")
                continue
            if action not in ACTIONS:
                problems.append(f"words.actions.{name}: 处理方式只能是 {'/'.join(ACTIONS)}")
            items.append(Item(f"actions:{category}", str(action), action))
        for name in _strings(value.get("detectors") or [], "words.detectors", problems):
            if name not in DETECTORS:
                problems.append(
                    f"words.detectors: 未知的检测项 {name}；可用：{', '.join(DETECTORS)}"
                )
            items.append(Item(f"detectors:{name}", CATEGORY_NAMES.get(name, name), ""))
        for item in items:
            item.where = f"words ({item.key})"
        return items, problems

    def dump(self, items: Iterable[Item]) -> dict[str, Any]:
        lists: dict[str, list[str]] = {}
        allow, detectors, actions = [], [], {}
        for item in items:
            kind, _, value = item.key.partition(":")
            if kind == "words":
                lists.setdefault(str(item.data), []).append(value)
            elif kind == "allow":
                allow.append(value)
            elif kind == "actions":
                actions[value] = item.data
            else:
                detectors.append(value)
        order = [c for c in WORD_CATEGORIES if c in lists] + sorted(
            set(lists) - set(WORD_CATEGORIES)
        )
        return {
            "by_category": {c: sorted(lists[c]) for c in order},
            "allow": sorted(allow),
            "actions": dict(sorted(actions.items())),
            "detectors": sorted(detectors),
        }

    def must_write(self, state: tuple[Any, ...]) -> bool:
        return not state[-1]  # never seeded: the file is the list now, no starter list later

    def guard(
        self,
        redis: Redis,
        keys: RedisKeys,
        desired: Mapping[str, Item] | None,
        stored: tuple[Any, ...] | None,
    ) -> TextGuard | None:
        """The outgoing-text check with the library as it will be after the import."""
        if desired is not None:
            snapshot = snapshot_of(desired.values())
        elif stored is not None:
            listed, allow, actions, detectors, seeded = stored
            if not seeded:  # the first process to start adds the starter list
                listed = dict.fromkeys(AD_LAW_TERMS, "ad_law") | listed
            snapshot = LibrarySnapshot(
                0, sorted(listed.items()), sorted(allow), dict(actions), sorted(detectors)
            )
        else:
            return None
        return snapshot.guard(redis, keys)

    async def before_export(self, redis: Redis, keys: RedisKeys) -> None:
        await seed_starter_words(redis, keys)  # the first process to start would add them

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        section = plan.sections[self.name]
        written: dict[str, dict[str, str]] = {}
        removed: dict[str, list[str]] = {}
        for item in [*section.added, *(new for _old, new in section.changed)]:
            part, _, value = item.key.partition(":")
            written.setdefault(part, {})[value] = str(item.data)
        for item in section.removed:
            part, _, value = item.key.partition(":")
            removed.setdefault(part, []).append(value)
        seed = SEED_VERSION if section.must_write else None
        WordLibrary(redis, keys).queue_import(tx, written, removed, seed)

    async def committed(self, redis: Redis, keys: RedisKeys, plan: Plan) -> None:
        if plan.sections[self.name].has_changes:
            library = WordLibrary(redis, keys)
            await library.announce(await library.version())


def _word(word: str, category: str) -> Item:
    return Item(f"words:{word}", CATEGORY_NAMES.get(category, category), category)


def _strings(value: Any, at: str, problems: list[str]) -> list[str]:
    if not isinstance(value, list):
        problems.append(f"{at}：应是列表，而不是{type_name(value)}")
        return []
    texts = []
    for n, item in enumerate(value):
        if isinstance(item, str):
            texts.append(item.strip())
        else:
            problems.append(f"{at}[{n}]：应是文本，而不是{type_name(item)}")
    return texts


def snapshot_of(items: Iterable[Item]) -> LibrarySnapshot:
    """The library these items make, to build the filter text is checked with."""
    words: list[tuple[str, str]] = []
    allow: list[str] = []
    actions: dict[str, str] = {}
    detectors: list[str] = []
    for item in items:
        kind, _, value = item.key.partition(":")
        if kind == "words":
            words.append((value, str(item.data)))
        elif kind == "allow":
            allow.append(value)
        elif kind == "actions":
            actions[value] = str(item.data)
        else:
            detectors.append(value)
    return LibrarySnapshot(0, sorted(words), sorted(allow), actions, sorted(detectors))


SECTIONS = (WordsSection(),)
