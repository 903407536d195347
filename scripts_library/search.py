"""Script search: an in-process index over title, keywords, category and text.

Chinese has no spaces, so every field is segmented with jieba (search mode, no HMM, so a
query and a script segment the same way) after the shared normaliser (width, case,
traditional → simplified). Each token also contributes its pinyin initials, so `sh` finds
售后 and `thlc` finds 退货流程. A query matches scripts containing all its tokens (any of them
when none contains all); a token the dictionary splits differently falls back to a substring
scan. Ranking: relevance (field weight × matches), then how often the script was sent.

Each process keeps its own index and catches up from the library's change stream before
reading, so an edit anywhere shows in every process's next search.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import logging
import math
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import jieba
from pypinyin import Style, lazy_pinyin
from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.text.normalize import normalize
from scripts_library.scripts import Script

WEIGHTS = {"keywords": 4.0, "title": 3.0, "category": 2.0, "text": 1.0}
INITIALS_WEIGHT = 2.0
SUBSTRING_WEIGHT = 0.5
SENDS_REFRESH_SECONDS = 5.0
jieba.setLogLevel(logging.WARNING)  # its dictionary-loading notes are not our users' business
_NOISE = frozenset(" \t\n，。！？、；：,.!?;:（）()【】[]「」“”\"'…-—~～")


def tokens(text: str) -> list[str]:
    return [t for t in jieba.lcut_for_search(normalize(text), HMM=False) if t not in _NOISE]


def initials(token: str) -> str:
    """Pinyin initials of a Chinese token ("" when it has no Chinese)."""
    if token.isascii():
        return ""
    return "".join(lazy_pinyin(token, style=Style.FIRST_LETTER, errors="ignore")).lower()


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one script contributes to the index: token and initials weights, its text."""

    haystack: str
    tokens: dict[str, float]
    initials: dict[str, float]


def analyse(script: Script) -> Analysis:
    """Segment a script's fields (pure: safe to run in a thread)."""
    fields = {
        "keywords": " ".join(script.keywords),
        "title": script.title,
        "category": script.category.replace("/", " "),
        "text": script.text,
    }
    weights: dict[str, float] = {}
    letters_weights: dict[str, float] = {}

    def initials_of(letters: str, name: str) -> None:
        if letters:
            weight = INITIALS_WEIGHT * WEIGHTS[name]
            letters_weights[letters] = max(letters_weights.get(letters, 0.0), weight)

    for name, value in fields.items():
        for token in tokens(value):
            weights[token] = weights.get(token, 0.0) + WEIGHTS[name]
            if name != "text":
                initials_of(initials(token), name)
    # whole phrases too, so 退货流程 is found by thlc as well as by th and lc
    for name, phrases in (
        ("title", [script.title]),
        ("keywords", script.keywords),
        ("category", script.path),
    ):
        for phrase in phrases:
            initials_of(initials(normalize(phrase)), name)
    return Analysis(normalize(" ".join(fields.values())), weights, letters_weights)


def analyse_many(scripts: list[Script]) -> list[Analysis]:
    return [analyse(script) for script in scripts]


IN_THREAD = 200  # fewer scripts than this are segmented in a thread, more in a child process
BATCH = 250  # scripts per trip to the child process
_pool: ProcessPoolExecutor | None = None


def _segmenter() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=os.nice,  # background work: the serving process comes first
            initargs=(10,),
        )
    return _pool


async def analyse_all(scripts: list[Script]) -> list[Analysis]:
    """Segment scripts off the event loop. A large batch goes to a child process: jieba is pure
    Python, and a thread segmenting thousands of scripts holds the GIL so long that the loop
    waits at every socket call (a 5,000-script import made callbacks take seconds)."""
    global _pool
    if len(scripts) < IN_THREAD:
        return await asyncio.to_thread(analyse_many, scripts)
    loop, results = asyncio.get_running_loop(), []
    for start in range(0, len(scripts), BATCH):
        chunk = scripts[start : start + BATCH]
        try:
            results += await loop.run_in_executor(_segmenter(), analyse_many, chunk)
        except BrokenProcessPool:  # the child died (killed, out of memory): a new one next time
            _pool = None
            results += await asyncio.to_thread(analyse_many, chunk)
    return results


class ScriptIndex:
    """Every script of one corp, searchable in memory; `refresh` before reading."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._scripts: dict[str, Script] = {}
        self._haystack: dict[str, str] = {}  # normalized full text, for the substring fallback
        self._postings: dict[str, dict[str, float]] = defaultdict(dict)
        self._initials: dict[str, dict[str, float]] = defaultdict(dict)
        self._owned: dict[str, tuple[set[str], set[str]]] = {}  # id -> (tokens, initials)
        self._initials_sorted: list[str] | None = None  # for prefix lookups; None = stale
        self._last_change: str | None = None
        self._seq = 0
        self._sends: dict[str, int] = {}
        self._sends_at = 0.0
        self._lock = asyncio.Lock()

    # -- keeping current -------------------------------------------------------------------
    async def refresh(self) -> None:
        """Apply the changes made since the last refresh (one round trip when there are none)."""
        async with self._lock:
            if self._last_change is None:
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
                self._sends_at = time.monotonic()

    async def _rebuild(self) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.get(self._keys.script_seq)
            tx.xrevrange(self._keys.script_changes, count=1)
            tx.hgetall(self._keys.scripts)
            seq, latest, rows = await tx.execute()
        self._scripts.clear()
        self._haystack.clear()
        self._postings.clear()
        self._initials.clear()
        self._owned.clear()
        self._initials_sorted = None
        scripts = [Script.from_json(data) for data in rows.values()]
        # segmenting a large library takes seconds of CPU: off the loop (a child process), so
        # callbacks and the welcome pipeline keep being served meanwhile
        analyses = await analyse_all(scripts)
        for n, (script, analysis) in enumerate(zip(scripts, analyses, strict=True)):
            self._insert(script, analysis)
            if n % 500 == 499:
                await asyncio.sleep(0)
        self._last_change = latest[0][0] if latest else "0-0"
        self._seq = int(seq or 0)

    async def _reload(self, script_ids: set[str]) -> None:
        ordered = sorted(script_ids)
        rows = await self._redis.hmget(self._keys.scripts, ordered)
        scripts = [Script.from_json(data) for data in rows if data]
        analyses = await analyse_all(scripts)
        for n, script_id in enumerate(ordered):
            self._remove(script_id)
            if n % 500 == 499:
                await asyncio.sleep(0)
        for n, (script, analysis) in enumerate(zip(scripts, analyses, strict=True)):
            self._insert(script, analysis)
            if n % 500 == 499:
                await asyncio.sleep(0)

    def _insert(self, script: Script, analysis: Analysis) -> None:
        self._scripts[script.id] = script
        self._haystack[script.id] = analysis.haystack
        for token, weight in analysis.tokens.items():
            self._postings[token][script.id] = weight
        for letters, weight in analysis.initials.items():
            self._initials[letters][script.id] = weight
        self._owned[script.id] = (set(analysis.tokens), set(analysis.initials))
        self._initials_sorted = None

    def _remove(self, script_id: str) -> None:
        if self._scripts.pop(script_id, None) is None:
            return
        self._haystack.pop(script_id, None)
        owned_tokens, owned_initials = self._owned.pop(script_id)
        self._initials_sorted = None
        for table, owned in ((self._postings, owned_tokens), (self._initials, owned_initials)):
            for key in owned:
                table[key].pop(script_id, None)
                if not table[key]:
                    del table[key]

    # -- reading ---------------------------------------------------------------------------
    def get(self, script_id: str) -> Script | None:
        return self._scripts.get(script_id)

    def __len__(self) -> int:
        return len(self._scripts)

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
        `every_script` (admins managing the library) skips visibility and the enabled flag."""
        scores: dict[str, float]
        words = tokens(query)
        if not words:
            scores = dict.fromkeys(self._scripts, 0.0)
        else:
            per_word = sorted((self._matches(word) for word in words), key=len)
            smallest, *rest = per_word
            # walk the rarest word's scripts only: common words (的, 您) cost nothing extra
            chosen: Iterable[str] = [s for s in smallest if all(s in m for m in rest)]
            if not chosen:
                chosen = set().union(*per_word)
            total = len(self._scripts) or 1
            idf = [math.log(1 + total / (len(m) or 1)) for m in per_word]
            scores = {
                sid: sum(m.get(sid, 0.0) * w for m, w in zip(per_word, idf, strict=True))
                for sid in chosen
            }
        found = (
            self._scripts[sid]
            for sid in scores
            if every_script or self._shows(self._scripts[sid], userid, departments, category)
        )
        return heapq.nsmallest(
            limit, found, key=lambda s: (-scores[s.id], -self._sends.get(s.id, 0), s.title, s.id)
        )

    def _matches(self, word: str) -> dict[str, float]:
        """Script id -> weight for one query word (read-only: may be the index's own dict)."""
        hits = self._postings.get(word, {})
        if word.isascii() and word.isalpha():
            hits = dict(hits)
            if self._initials_sorted is None:
                self._initials_sorted = sorted(self._initials)
            start = bisect.bisect_left(self._initials_sorted, word)
            for letters in itertools.takewhile(
                lambda key: key.startswith(word), self._initials_sorted[start:]
            ):
                for sid, weight in self._initials[letters].items():
                    if weight > hits.get(sid, 0.0):
                        hits[sid] = weight
        if not hits and not word.isascii():
            hits = {sid: SUBSTRING_WEIGHT for sid, text in self._haystack.items() if word in text}
        return hits

    def categories(self, userid: str, departments: list[int]) -> list[str]:
        """Every category path (and its parents) that holds a script this member sees."""
        paths: set[str] = set()
        for script in self._visible(userid, departments):
            parts = script.path
            paths.update("/".join(parts[: n + 1]) for n in range(len(parts)))
        return sorted(paths)

    def most_used(self, userid: str, departments: list[int], limit: int = 10) -> list[Script]:
        used = [s for s in self._visible(userid, departments) if self._sends.get(s.id)]
        used.sort(key=lambda s: (-self._sends[s.id], s.title))
        return used[:limit]

    def sends(self, script_id: str) -> int:
        return self._sends.get(script_id, 0)

    def _visible(self, userid: str, departments: list[int]) -> Iterable[Script]:
        return (s for s in self._scripts.values() if self._shows(s, userid, departments, ""))

    @staticmethod
    def _shows(script: Script, userid: str, departments: list[int], category: str) -> bool:
        if not script.enabled or not script.visibility.allows(userid, departments):
            return False
        return (
            not category
            or script.category == category
            or script.category.startswith(category + "/")
        )
