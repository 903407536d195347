"""Script search: an in-process index over title, keywords, category and text.

Scripts are analysed into weighted tokens (`scripts_library.analysis`). A query matches
scripts containing all its tokens (any of them when none contains all); a token the
dictionary splits differently falls back to a substring scan. Ranking: relevance (field
weight × the word's rarity), then how often the script was sent, then title.

Each process keeps its own index and catches up from the library's change stream before
reading, so an edit anywhere shows in every process's next search.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import time
from collections import defaultdict
from collections.abc import Iterable

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.text.lexicon import release_build_memory
from scripts_library.analysis import (
    BATCH,
    SUBSTRING_WEIGHT,
    Analysis,
    analyse_all,
    tokens,
)
from scripts_library.docsets import DocSet, lowest, mask_of, members
from scripts_library.scripts import Script

__all__ = ["ScriptIndex", "tokens"]

SENDS_REFRESH_SECONDS = 5.0
SUBSTRINGS_KEPT = 256  # substring answers kept (≤ 6 KB each at 50,000 scripts)


class ScriptIndex:
    """Every script of one corp, searchable in memory; `refresh` before reading.

    Scripts are numbered in (title, id) order when the index is built and after that in the
    order they arrive; an edited script is a new number and its old one is dead until the
    next rebuild. Every set the search reads (scripts with a word at a weight, visible to a
    department, in a category, enabled) is a `DocSet`, so a query is mask algebra and Python
    runs only for the scripts it returns (see `scripts_library.docsets`).
    """

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._lock = asyncio.Lock()
        self._last_change: str | None = None
        self._seq = 0
        self._sends_at = 0.0
        self._clear()

    def _clear(self) -> None:
        self._ids: list[str] = []  # number -> script id
        self._json: list[str] = []  # number -> the script as stored ("" once dead)
        self._titles: list[str] = []
        self._categories: list[str] = []
        self._haystack: list[str] = []  # number -> normalised full text, for substrings
        self._joined: str | None = None  # the texts joined, built at the first substring query
        self._substrings: dict[str, int] = {}  # word -> scripts holding it, until a change
        self._starts: list[int] = []
        self._number: dict[str, int] = {}  # live script id -> number
        self._dead = 0  # mask of the numbers of removed or replaced scripts
        self._ordered = 0  # numbers below this are in (title, id) order
        self._postings: dict[str, dict[float, DocSet]] = defaultdict(dict)
        self._initials: dict[str, dict[float, DocSet]] = defaultdict(dict)
        self._initials_sorted: list[str] | None = None
        self._everyone, self._disabled = DocSet(), DocSet()
        self._by_department: dict[int, DocSet] = defaultdict(DocSet)
        self._by_staff: dict[str, DocSet] = defaultdict(DocSet)
        self._by_category: dict[str, DocSet] = defaultdict(DocSet)
        self._sends: dict[str, int] = {}
        self._sent = 0  # mask of the numbers with sends

    # -- keeping current -------------------------------------------------------------------
    async def refresh(self) -> None:
        """Apply the changes made since the last refresh (one round trip when there are none)."""
        async with self._lock:
            if self._last_change is None or self._stale():
                await self._rebuild()
            else:
                async with self._redis.pipeline(transaction=True) as tx:
                    tx.get(self._keys.script_seq)
                    tx.xrange(self._keys.script_changes, f"({self._last_change}", "+")
                    seq, changes = await tx.execute()
                if self._seq + len(changes) < int(seq or 0):
                    await self._rebuild()  # the stream was trimmed past what we saw
                elif changes:
                    self._last_change, self._seq = changes[-1][0], int(seq or 0)
                    await self._reload({fields["id"] for _, fields in changes})
            if time.monotonic() - self._sends_at > SENDS_REFRESH_SECONDS:
                rows = await self._redis.zrange(self._keys.script_sends, 0, -1, withscores=True)
                self._sends = {script_id: int(score) for script_id, score in rows}
                self._sent = self._mask_of_ids(self._sends)
                self._sends_at = time.monotonic()

    def _stale(self) -> bool:
        """Renumber (a rebuild) once a tenth of the numbers are dead or out of title order:
        both cost every query a little."""
        loose = self._dead.bit_count() + len(self._ids) - self._ordered
        return loose > max(1000, len(self._ids) // 10)

    async def _rebuild(self) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.get(self._keys.script_seq)
            tx.xrevrange(self._keys.script_changes, count=1)
            tx.hgetall(self._keys.scripts)
            seq, latest, rows = await tx.execute()
        # numbered in (title, id) order; parsed again batch by batch, so that 50k Script
        # objects and their analyses never live at once (the index holds the JSON only)
        entries = sorted(
            (script.title, script.id, data)
            for data in rows.values()
            for script in (Script.from_json(data),)
        )
        del rows
        self._clear()
        for start in range(0, len(entries), BATCH):
            batch = [Script.from_json(data) for _, _, data in entries[start : start + BATCH]]
            # segmenting a large library takes seconds of CPU: off the loop (a child
            # process), so callbacks and the welcome pipeline keep being served meanwhile
            for script, analysis in zip(batch, await analyse_all(batch), strict=True):
                self._insert(script, analysis)
            await asyncio.sleep(0)
        self._ordered = len(self._ids)
        self._last_change = latest[0][0] if latest else "0-0"
        self._seq = int(seq or 0)
        self._sent = self._mask_of_ids(self._sends)
        del entries
        release_build_memory()

    async def _reload(self, script_ids: set[str]) -> None:
        ordered = sorted(script_ids)
        rows = await self._redis.hmget(self._keys.scripts, ordered)
        scripts = [Script.from_json(data) for data in rows if data]
        analyses = await analyse_all(scripts)
        for script_id in ordered:
            self._remove(script_id)
        for n, (script, analysis) in enumerate(zip(scripts, analyses, strict=True)):
            self._insert(script, analysis)
            if n % 500 == 499:
                await asyncio.sleep(0)
        self._sent = self._mask_of_ids(self._sends)

    def _insert(self, script: Script, analysis: Analysis) -> None:
        number = len(self._ids)
        self._ids.append(script.id)
        self._json.append(script.to_json())
        self._titles.append(script.title)
        self._categories.append(script.category)
        self._haystack.append(analysis.haystack)
        self._number[script.id] = number
        self._substrings.clear()
        for table, weights in (
            (self._postings, analysis.tokens),
            (self._initials, analysis.initials),
        ):
            for key, weight in weights.items():
                levels = table[key]
                if weight not in levels:
                    levels[weight] = DocSet()
                levels[weight].add(number)
        self._initials_sorted = None
        if not script.enabled:
            self._disabled.add(number)
        visibility = script.visibility
        if visibility.everyone:
            self._everyone.add(number)
        for department in set(visibility.departments):
            self._by_department[department].add(number)
        for userid in set(visibility.staff):
            self._by_staff[userid].add(number)
        self._by_category[script.category].add(number)

    def _remove(self, script_id: str) -> None:
        number = self._number.pop(script_id, None)
        if number is None:
            return
        self._dead |= 1 << number
        self._json[number] = self._haystack[number] = ""
        self._joined = None
        self._substrings.clear()

    def _mask_of_ids(self, script_ids: Iterable[str]) -> int:
        numbers = (self._number.get(script_id, -1) for script_id in script_ids)
        return mask_of((n for n in numbers if n >= 0), len(self._ids))

    # -- reading ---------------------------------------------------------------------------
    def get(self, script_id: str) -> Script | None:
        number = self._number.get(script_id)
        return None if number is None else Script.from_json(self._json[number])

    def __len__(self) -> int:
        return len(self._number)

    def search(
        self,
        query: str,
        *,
        userid: str,
        departments: list[int],
        category: str = "",
        limit: int = 20,
        every_script: bool = False,
    ) -> list[Script]:
        """Visible, enabled scripts matching `query` (all scripts of `category` when empty);
        `every_script` (admins managing the library) skips visibility and the enabled flag.

        Ranked by relevance (field weight × the word's rarity, summed over the words), then
        sends, then title."""
        allowed = self._allowed(userid, departments, category, every_script)
        words = tokens(query)
        if not words:
            return self._top([(0.0, allowed)], limit)
        levels = [self._levels(word) for word in words]
        anywhere = [self._union(word_levels) for word_levels in levels]
        chosen = allowed
        for mask in anywhere:
            chosen &= mask
        if not chosen:  # no script has every word: any of them then
            chosen = allowed & self._union([(0.0, mask) for mask in anywhere])
        total = len(self._number) or 1
        partitions = [(0.0, chosen)]
        for word_levels, mask in zip(levels, anywhere, strict=True):
            idf = math.log(1 + total / (mask.bit_count() or 1))
            partitions = _split(partitions, word_levels, idf)
        return self._top(partitions, limit)

    def _allowed(self, userid: str, departments: list[int], category: str, every: bool) -> int:
        size = len(self._ids)
        allowed = ((1 << size) - 1) & ~self._dead
        if not every:
            visible = self._everyone.mask(size)
            for department in departments:
                if department in self._by_department:
                    visible |= self._by_department[department].mask(size)
            if userid in self._by_staff:
                visible |= self._by_staff[userid].mask(size)
            allowed &= visible & ~self._disabled.mask(size)
        if category:
            under = category + "/"
            inside = 0
            for name, docs in self._by_category.items():
                if name == category or name.startswith(under):
                    inside |= docs.mask(size)
            allowed &= inside
        return allowed

    def _levels(self, word: str) -> list[tuple[float, int]]:
        """(weight, scripts) for one query word, heaviest first, each script once: the word's
        postings, and for letters the pinyin initials they begin (the better weight wins)."""
        size = len(self._ids)
        found = [(w, docs.mask(size)) for w, docs in self._postings.get(word, {}).items()]
        if word.isascii() and word.isalpha():
            if self._initials_sorted is None:
                self._initials_sorted = sorted(self._initials)
            start = bisect.bisect_left(self._initials_sorted, word)
            for letters in itertools.takewhile(
                lambda key: key.startswith(word), self._initials_sorted[start:]
            ):
                found += [(w, docs.mask(size)) for w, docs in self._initials[letters].items()]
        if not found and not word.isascii():
            found = [(SUBSTRING_WEIGHT, self._containing(word))]
        found.sort(key=lambda level: -level[0])
        levels: list[tuple[float, int]] = []
        taken = 0
        for weight, mask in found:
            mask &= ~taken
            if not mask:
                continue
            if levels and levels[-1][0] == weight:  # the same weight from two tables: one level
                levels[-1] = (weight, levels[-1][1] | mask)
            else:
                levels.append((weight, mask))
            taken |= mask
        return levels

    def _containing(self, word: str) -> int:
        """Scripts whose text holds `word` (a token the dictionary splits another way): one
        `str.find` walk over every text joined (a NUL between them, which no text holds).
        The last answers are kept until the library changes: a fragment common to thousands
        of scripts costs milliseconds, and staff type the same fragments again."""
        cached = self._substrings.get(word)
        if cached is not None:
            return cached
        if self._joined is None or len(self._starts) != len(self._haystack) + 1:
            self._joined = "\0".join(self._haystack)
            self._starts = list(
                itertools.accumulate((len(t) + 1 for t in self._haystack), initial=0)
            )
        joined, starts, numbers = self._joined, self._starts, []
        at = joined.find(word)
        while at >= 0:
            number = bisect.bisect_right(starts, at) - 1
            numbers.append(number)
            at = joined.find(word, starts[number + 1])  # on to the next text
        mask = mask_of(numbers, len(self._ids))
        if len(self._substrings) >= SUBSTRINGS_KEPT:
            del self._substrings[next(iter(self._substrings))]  # the oldest
        self._substrings[word] = mask
        return mask

    @staticmethod
    def _union(levels: list[tuple[float, int]]) -> int:
        mask = 0
        for _, level in levels:
            mask |= level
        return mask

    def _top(self, partitions: list[tuple[float, int]], limit: int) -> list[Script]:
        """The best `limit` scripts: by score, then sends, then title, taking from the best
        partition on and reading members only of the partitions the answer needs."""
        by_score: dict[float, int] = {}
        for score, mask in partitions:  # equal scores tie-break together, by sends and title
            by_score[score] = by_score.get(score, 0) | mask
        out: list[int] = []
        for _, mask in sorted(by_score.items(), key=lambda part: -part[0]):
            need = limit - len(out)
            if need <= 0:
                break
            sent = mask & self._sent
            ranked = sorted(
                members(sent),
                key=lambda n: (-self._sends.get(self._ids[n], 0), self._titles[n], self._ids[n]),
            )
            out += ranked[:need]
            need -= len(ranked[:need])
            if need > 0:
                out += self._by_title(mask & ~sent, need)
        return [Script.from_json(self._json[n]) for n in out]

    def _by_title(self, mask: int, count: int) -> list[int]:
        """The first `count` of `mask` by (title, id): the lowest numbers of the ordered part,
        merged with every number given out since the last rebuild."""
        ordered = mask & ((1 << self._ordered) - 1)
        candidates = lowest(ordered, count) + [
            n + self._ordered for n in members(mask >> self._ordered)
        ]
        if len(candidates) > count:
            candidates.sort(key=lambda n: (self._titles[n], self._ids[n]))
        return candidates[:count]

    def categories(self, userid: str, departments: list[int]) -> list[str]:
        """Every category path (and its parents) that holds a script this member sees."""
        visible = self._allowed(userid, departments, "", False)
        size = len(self._ids)
        paths: set[str] = set()
        for name, docs in self._by_category.items():
            if docs.mask(size) & visible:
                parts = name.split("/")
                paths.update("/".join(parts[: n + 1]) for n in range(len(parts)))
        return sorted(paths)

    def most_used(self, userid: str, departments: list[int], limit: int = 10) -> list[Script]:
        visible = self._allowed(userid, departments, "", False) & self._sent
        return self._top([(0.0, visible)], limit)

    def sends(self, script_id: str) -> int:
        return self._sends.get(script_id, 0)


def _split(
    partitions: list[tuple[float, int]], levels: list[tuple[float, int]], idf: float
) -> list[tuple[float, int]]:
    """Each (score, scripts) partition cut by one query word's weight levels."""
    out = []
    for score, mask in partitions:
        rest = mask
        for weight, level in levels:
            part = mask & level
            if part:
                out.append((score + weight * idf, part))
                rest &= ~level
        if rest:
            out.append((score, rest))
    return out
