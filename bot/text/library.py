"""The sensitive-word library in Redis: words by category, allowed phrases, actions, detectors.

Every change bumps a version counter and publishes it in the same transaction, so each
process's `FilterReloader` rebuilds from one consistent snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.errors import UserError
from bot.keys import RedisKeys
from bot.quoting import echo
from bot.text.categories import CATEGORY_ALIASES, WORD_CATEGORIES, label
from bot.text.detectors import DETECTORS
from bot.text.filter import ACTIONS
from bot.text.hygiene import check_word
from bot.text.lexicon import phrase_problem, word_problem
from bot.text.snapshot import LibrarySnapshot, snapshot_of

log = logging.getLogger(__name__)

WRITE_BATCH = 5000
SCAN_ABOVE = 5000  # a larger word hash is read in HSCAN pieces (see `snapshot`)
SCAN_COUNT = 2000
SNAPSHOT_TRIES = 3
Transaction = Any  # a redis-py transaction pipeline (redis-py is untyped here)


class LibraryError(UserError, ValueError):
    """A request the library refuses; the message is for the admin (Chinese)."""


def category_of(name: str) -> str:
    """The category `name` stands for (English name or Chinese alias)."""
    category = CATEGORY_ALIASES.get(name.strip(), name.strip().lower())  # label, alias or key
    if category not in WORD_CATEGORIES:
        known = "、".join(f"{key}（{label(key)}）" for key in WORD_CATEGORIES)
        raise LibraryError(f"未知分类「{echo(name)}」，可用：{known}")
    return category


@dataclass
class ImportReport:
    """What an add or import did: counts, and every refused line with its number and reason."""

    added: int = 0
    already: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # line, text, reason
    flagged: list[tuple[int, str, str]] = field(default_factory=list)  # kept, though risky

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "already": self.already,
            "refused": [{"line": n, "text": t, "reason": r} for n, t, r in self.refused],
            "flagged": [{"line": n, "text": t, "reason": r} for n, t, r in self.flagged],
        }


class WordLibrary:
    """Reads and changes the word library of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def version(self) -> int:
        return int(await self._redis.get(self._keys.words_version) or 0)

    async def size(self) -> int:
        """Words and allowed phrases listed (two counts, one round trip)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hlen(self._keys.words)
            pipe.scard(self._keys.words_allow)
            words, allow = await pipe.execute()
        return int(words) + int(allow)

    async def snapshot(self) -> LibrarySnapshot:
        """Everything a filter is built from, at one version. A large word hash is read in
        pieces (HSCAN) with the loop free between them: one HGETALL of 50,000 words held a
        serving process's loop 0.19 s. A change meanwhile is seen by the version and the read
        starts again; a small library, or one that keeps changing, is read in one MULTI."""
        if await self._redis.hlen(self._keys.words) > SCAN_ABOVE:
            for _ in range(SNAPSHOT_TRIES - 1):
                scanned = await self._scannedsnapshot_of()
                if scanned is not None:
                    return scanned
        async with self._redis.pipeline(transaction=True) as tx:
            tx.get(self._keys.words_version)
            tx.hgetall(self._keys.words)
            self._queue_settings(tx)
            version, words, allow, actions, detectors = await tx.execute()
        return snapshot_of(version, words, allow, actions, detectors)

    async def _scannedsnapshot_of(self) -> LibrarySnapshot | None:
        """The library with its words read in HSCAN pieces; None if it changed meanwhile."""
        async with self._redis.pipeline(transaction=True) as tx:
            tx.get(self._keys.words_version)
            self._queue_settings(tx)
            version, allow, actions, detectors = await tx.execute()
        words: dict[str, str] = {}
        cursor = 0
        while True:
            cursor, chunk = await self._redis.hscan(self._keys.words, cursor, count=SCAN_COUNT)
            words.update(chunk)
            if not cursor:
                break
        if await self._redis.get(self._keys.words_version) != version:
            return None  # every change bumps the version: what we read may be mixed
        return snapshot_of(version, words, allow, actions, detectors)

    def _queue_settings(self, tx: Transaction) -> None:
        tx.smembers(self._keys.words_allow)
        tx.hgetall(self._keys.words_actions)
        tx.smembers(self._keys.words_detectors)

    async def categories(self, words: list[str]) -> dict[str, str]:
        """The listed ones among `words`, with their category."""
        known = await self._redis.hmget(self._keys.words, words) if words else []
        return {w: c for w, c in zip(words, known, strict=True) if c is not None}

    async def add(
        self,
        lines: Iterable[tuple[int, str, str]],
        progress: Callable[[int], None] | None = None,
        *,
        refuse_risky: bool = False,
    ) -> ImportReport:
        """Add (line number, word, category) entries; refused ones are reported, not fatal.

        Risky words (`bot.text.hygiene`) are refused with `refuse_risky` (a bulk import),
        else added and reported as flagged (a word an admin typed on purpose)."""
        report = ImportReport()
        batch: dict[str, str] = {}
        processed = 0
        for number, word, category in lines:
            processed += 1
            word = word.strip()
            problem = word_problem(word) if word else "空行"
            if problem is None:
                hygiene = check_word(word)
                if hygiene.single_character or (hygiene.risky and refuse_risky):
                    problem = "有误伤风险：" + hygiene.reason()
                elif hygiene.risky:
                    report.flagged.append((number, word, hygiene.reason()))
            if problem is None:
                try:
                    resolved = category_of(category)
                except LibraryError as exc:
                    problem = str(exc)
                else:
                    if word in batch:
                        report.already += 1  # listed twice in this import: the last line wins
                    batch[word] = resolved
            if problem is not None:
                report.refused.append((number, word, problem))
            if len(batch) >= WRITE_BATCH:
                await self._write(batch, report)
                batch = {}
                if progress:
                    progress(processed)
        await self._write(batch, report)
        if progress:
            progress(processed)
        return report

    async def _write(self, batch: dict[str, str], report: ImportReport) -> None:
        if not batch:
            return
        known = await self._redis.hmget(self._keys.words, list(batch))
        report.already += sum(1 for value in known if value is not None)
        report.added += sum(1 for value in known if value is None)
        await self._change(lambda tx: tx.hset(self._keys.words, mapping=batch))

    async def remove(self, words: Iterable[str]) -> int:
        names = [word.strip() for word in words if word.strip()]
        if not names:
            return 0
        results = await self._change(lambda tx: tx.hdel(self._keys.words, *names))
        return int(results[0])

    async def allow(self, phrases: Iterable[str], *, remove: bool = False) -> int:
        names = [phrase.strip() for phrase in phrases if phrase.strip()]
        for phrase in names:
            problem = phrase_problem(phrase)
            if problem is not None:
                raise LibraryError(f"「{echo(phrase)}」{problem}")
        if not names:
            return 0
        key = self._keys.words_allow
        op = (lambda tx: tx.srem(key, *names)) if remove else (lambda tx: tx.sadd(key, *names))
        return int((await self._change(op))[0])

    async def set_action(self, category: str, action: str) -> None:
        name = category_of(category) if category not in DETECTORS else category
        if action not in ACTIONS:
            raise LibraryError(f"处理方式只能是 {'/'.join(ACTIONS)}")
        await self._change(lambda tx: tx.hset(self._keys.words_actions, name, action))

    async def set_detectors(self, names: Iterable[str]) -> None:
        wanted = sorted(set(names))
        unknown = [name for name in wanted if name not in DETECTORS]
        if unknown:
            raise LibraryError(f"未知的检测项：{', '.join(unknown)}；可用：{', '.join(DETECTORS)}")
        key = self._keys.words_detectors

        def replace(tx: Transaction) -> None:
            tx.delete(key)
            if wanted:
                tx.sadd(key, *wanted)

        await self._change(replace)

    async def replace_words(self, added: dict[str, str], removed: list[str]) -> None:
        """Add words (word -> category) and remove others in one change."""

        def write(tx: Transaction) -> None:
            if added:
                tx.hset(self._keys.words, mapping=added)
            if removed:
                tx.hdel(self._keys.words, *removed)

        await self._change(write)

    # -- the starter list's marker: which starter list this corp has had ---------------------
    async def seeded(self) -> str | None:
        return await self._redis.get(self._keys.words_seeded)  # type: ignore[no-any-return]

    async def claim_seed(self, version: str) -> bool:
        """Mark the corp seeded with `version` unless it was ever seeded (one process wins)."""
        return bool(await self._redis.set(self._keys.words_seeded, version, nx=True))

    async def swap_seed(self, version: str) -> str | None:
        """Mark the corp seeded with `version`; returns the mark it had (compare-and-set)."""
        return await self._redis.getset(self._keys.words_seeded, version)  # type: ignore[no-any-return]

    def queue_import(
        self,
        tx: Transaction,
        written: dict[str, dict[str, str]],
        removed: dict[str, list[str]],
        seed_version: str | None,
    ) -> None:
        """Queue a configuration import's writes: per part ("words", "allow", "actions",
        "detectors") the values written and removed; `seed_version`: mark the corp seeded
        (the file is the list now: no starter list, no upgrade). Bumps the version when any
        word changed; `announce` it after the commit."""
        parts = {
            "words": (self._keys.words, True),
            "allow": (self._keys.words_allow, False),
            "actions": (self._keys.words_actions, True),
            "detectors": (self._keys.words_detectors, False),
        }
        for part, (key, is_hash) in parts.items():
            if written.get(part):
                if is_hash:
                    tx.hset(key, mapping=written[part])
                else:
                    tx.sadd(key, *written[part])
            if removed.get(part):
                (tx.hdel if is_hash else tx.srem)(key, *removed[part])
        if seed_version is not None:
            tx.set(self._keys.words_seeded, seed_version)
        if any(written.values()) or any(removed.values()):
            self.queue_bump(tx)

    async def _change(self, apply: Callable[[Transaction], object]) -> list[Any]:
        """Run `apply` on a transaction that also bumps and announces the version."""
        async with self._redis.pipeline(transaction=True) as tx:
            apply(tx)
            self.queue_bump(tx)
            results = await tx.execute()
        await self.announce(int(results[-1]))
        return list(results[:-1])

    def queue_bump(self, tx: Transaction) -> None:
        """Queue the version bump that every change of the library carries (its result is
        the new version, for `announce` once the transaction went through)."""
        tx.incr(self._keys.words_version)

    async def announce(self, version: int) -> None:
        """Tell every process's reloader about the new version (the poll covers a miss)."""
        await self._redis.publish(self._keys.words_changed, version)
