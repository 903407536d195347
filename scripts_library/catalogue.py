"""The script index's contents: scripts by number, their weighted words, and the sets a
search reads, as `DocSet`s (see `scripts_library.docsets`); `ScriptIndex` keeps one current.

Scripts are numbered in (title, id) order when a catalogue is built and after that in the
order they arrive; an edited script gets a new number and its old one is dead. A query is
mask algebra, cut into partitions of equal score; Python runs only for the scripts returned.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Mapping

from scripts_library.analysis import SUBSTRING_WEIGHT, Analysis, tokens
from scripts_library.docsets import DocSet, lowest, mask_of, members
from scripts_library.scripts import Script

SUBSTRINGS_KEPT = 256  # substring answers kept (≤ 6 KB each at 50,000 scripts)


class Catalogue:
    """Every script of one corp in memory, numbered; built once, then kept by inserts and
    removals until it is renumbered (see `loose`)."""

    def __init__(self) -> None:
        self._ids: list[str] = []  # number -> script id
        self._json: list[str] = []  # number -> the script as stored ("" once dead)
        self._titles: list[str] = []
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

    def seal(self) -> None:
        """Everything inserted so far is in (title, id) order: the build is done."""
        self._ordered = len(self._ids)

    def loose(self) -> int:
        """How many numbers are dead or out of title order: each costs queries a little."""
        return self._dead.bit_count() + len(self._ids) - self._ordered

    def set_sends(self, sends: Mapping[str, int]) -> None:
        self._sends = dict(sends)
        numbers = (self._number.get(script_id, -1) for script_id in sends)
        self._sent = mask_of((n for n in numbers if n >= 0), len(self._ids))

    def insert(self, script: Script, analysis: Analysis) -> None:
        number = len(self._ids)
        self._ids.append(script.id)
        self._json.append(script.to_json())
        self._titles.append(script.title)
        self._haystack.append(analysis.haystack)
        self._number[script.id] = number
        self._texts_changed()
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

    def remove(self, script_id: str) -> None:
        number = self._number.pop(script_id, None)
        if number is None:
            return
        self._dead |= 1 << number
        self._json[number] = self._haystack[number] = ""
        self._texts_changed()

    def _texts_changed(self) -> None:
        """The joined texts and the substring answers are stale (a script came or went)."""
        self._joined = None
        self._substrings.clear()

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
        if self._joined is None:
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
        candidates.sort(key=lambda n: (self._titles[n], self._ids[n]))  # ≤ count + extras
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
