"""The word list behind a filter: words, allowed phrases and their automaton, column by column.

Columns (a list of words and compact arrays) instead of an object per word keep 100,000 words
in a few megabytes beside the automaton. The automaton is daachorse's character-wise
double-array Aho-Corasick (a Rust crate): on a real word list and real chat it matched 1.8x
faster than ahocorasick_rs and 17x faster than pyahocorasick (benchmarks/README.md), and it
serialises to bytes, so a filter built in a child process loads here in milliseconds without
holding the GIL for a rebuild.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from array import array
from collections.abc import Iterable, Mapping

import daachorse

from bot.text.normalize import BREAKS, RepeatMap, normalize

ALLOW = 1  # an allowed phrase: hits it covers are dropped
WHOLE_WORD = 2  # ASCII letters/digits only: must not be part of a longer ASCII word
# A listed word as written: sensitive words and tag-rule keywords alike. Real words are a few
# characters; the cap bounds what one word costs every automaton built over it.
MAX_WORD_CHARS = 64


def word_problem(word: str) -> str | None:
    """Why `word` can't be listed as a sensitive word or a tag keyword (in Chinese, for
    admins), or None when it can."""
    if len(word) > MAX_WORD_CHARS:
        return f"超过 {MAX_WORD_CHARS} 个字符"
    return phrase_problem(word)


def phrase_problem(phrase: str) -> str | None:
    """Why `phrase` can't be an allowed phrase: as for a word, without the length cap (allowed
    phrases never had one, and stored ones must keep working)."""
    return _problem(normalize(phrase))


def _problem(folded: str) -> str | None:
    if not folded:
        return "只含符号或空白，规范化后为空"
    if not BREAKS.isdisjoint(folded):
        return "含有句读标点或换行，永远不会命中"
    return None


class Lexicon:
    """Words as listed, their category, flags and UTF-8 length, indexed by automaton value."""

    __slots__ = (
        "actions",
        "automaton",
        "categories",
        "category_ids",
        "collapse_repeats",
        "flags",
        "starts",
        "text",
    )

    def __init__(self) -> None:
        # every word as listed, joined by "\n" (which no word can contain): one string instead
        # of 100k string objects; `starts` holds where each begins
        self.text = ""
        self.starts = array("L")
        self.category_ids = array("H")
        self.flags = array("B")
        self.categories: list[str] = []  # category id -> name
        self.actions: list[str] = []  # category id -> block / mask / flag
        self.automaton: daachorse.CharwiseDoubleArrayAhoCorasick | None = None
        self.collapse_repeats = False

    @classmethod
    def build(
        cls,
        words: Iterable[tuple[str, str]],
        allow: Iterable[str],
        action_of: Mapping[str, str],
        whole_ascii_words: bool,
        collapse_repeats: bool = False,
    ) -> Lexicon:
        lexicon = cls()
        lexicon.collapse_repeats = collapse_repeats
        category_id: dict[str, int] = {}
        listed: list[str] = []
        index_of: dict[str, int] = {}  # folded key -> word index, for this build only

        def add(word: str, folded: str, category: str, flags: int) -> None:
            if collapse_repeats:
                folded = RepeatMap.of(folded)[0]
            problem = _problem(folded)
            if problem is not None:
                raise ValueError(f"{word!r}: {problem}")
            if whole_ascii_words and folded.isascii() and folded.isalnum():
                flags |= WHOLE_WORD
            if category not in category_id:
                category_id[category] = len(lexicon.categories)
                lexicon.categories.append(category)
                lexicon.actions.append(action_of.get(category, "block"))
            known = index_of.get(folded, -1)
            if known < 0:
                index_of[folded] = len(listed)
                listed.append(word)
                lexicon.category_ids.append(category_id[category])
                lexicon.flags.append(flags)
            elif flags & ALLOW:  # allowing a listed phrase: the allow wins
                listed[known] = word
                lexicon.category_ids[known] = category_id[category]
                lexicon.flags[known] = flags
            # else: listed twice, perhaps written differently: the first one stands

        pairs = list(words)
        for (word, category), folded in zip(pairs, _fold_all([w for w, _ in pairs]), strict=True):
            add(word, folded, category, 0)
        for phrase in allow:
            add(phrase, normalize(phrase), "allow", ALLOW)
        lexicon.text = "\n".join(listed)
        position = 0
        for word in listed:
            lexicon.starts.append(position)
            position += len(word) + 1
        lexicon.starts.append(position)  # where a next word would start: the last one's end
        if listed:  # pattern ids are insertion order, the word indexes
            lexicon.automaton = daachorse.CharwiseDoubleArrayAhoCorasick(list(index_of))
        return lexicon

    def __getstate__(self) -> dict[str, object]:
        state: dict[str, object] = {name: getattr(self, name) for name in self.__slots__}
        if self.automaton is not None:
            state["automaton"] = self.automaton.serialize()
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        data = state.pop("automaton")
        for name, value in state.items():
            setattr(self, name, value)
        self.automaton = (
            None if data is None else daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(data)  # type: ignore[arg-type]
        )

    def word(self, index: int) -> str:
        """The word (or allowed phrase) with automaton value `index`, as it was listed."""
        return self.text[self.starts[index] : self.starts[index + 1] - 1]

    def __len__(self) -> int:
        """How many listed words (allowed phrases not counted)."""
        return sum(1 for flags in self.flags if not flags & ALLOW)


def _fold_all(words: list[str]) -> list[str]:
    """`normalize` of each word, in one translate call for the whole list (a third of a
    100k-word build was the per-word calls). Words holding a line break fold one by one: the
    joined text is split on them."""
    folded = normalize("\n".join(words)).split("\n")
    if len(folded) == len(words):
        return folded
    return [normalize(word) for word in words]


def release_build_memory() -> None:
    """Hand the heap a build left behind back to the OS (glibc keeps freed memory otherwise).

    A 100k-word build churns through ~100 MB of short-lived strings; after it, and after the
    caller drops its word list, RSS falls back to what the filter itself holds.
    """
    gc.collect()
    trim_heap()


def trim_heap() -> None:
    """glibc's `malloc_trim`: freed heap back to the OS. A foreign call through ctypes, which
    releases the GIL: a serving process runs it in a thread and its loop doesn't wait."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
