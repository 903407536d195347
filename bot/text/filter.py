"""The sensitive-word filter: one Aho-Corasick automaton over normalised text.

Words and allowed phrases are normalised (`bot.text.normalize`) and listed in one daachorse
automaton (see `bot.text.lexicon`), which reports every overlapping match as character
offsets in the normalised text. Only when something matched is the map back to the original
built, so `text[hit.start:hit.end]` is exactly what was written, symbols and all; on real chat
most messages match nothing and cost one translate and one automaton call.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from bot.text.categories import DEFAULT_ACTIONS
from bot.text.detectors import DETECTORS
from bot.text.lexicon import ALLOW, WHOLE_WORD, Lexicon
from bot.text.normalize import OffsetMap, RepeatMap, normalize

ACTIONS = ("block", "mask", "flag")
CHUNK = 1 << 16  # long texts are scanned in pieces cut at line breaks, which no match spans


class Hit(NamedTuple):
    """One match: `text[start:end]` of the original text, the listed word and its category.

    A named tuple rather than a frozen dataclass: on a full public list most real messages
    hit something, and building one costs a third as much."""

    start: int
    end: int
    word: str
    category: str
    action: str
    text: str

    def as_dict(self) -> dict[str, object]:
        return {
            "word": self.word,
            "category": self.category,
            "action": self.action,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


def _is_ascii_word_char(ch: str) -> bool:
    folded = normalize(ch)
    return bool(folded) and folded.isascii() and folded.isalnum()


class SensitiveFilter:
    """Finds listed words in any text, however it is written; see the module docstring."""

    def __init__(self, lexicon: Lexicon, detectors: Mapping[str, str]) -> None:
        self._lexicon = lexicon
        self._detectors = dict(detectors)  # category -> action

    @classmethod
    def from_words(
        cls,
        words: Iterable[tuple[str, str]],
        allow: Iterable[str] = (),
        *,
        actions: Mapping[str, str] | None = None,
        detectors: Iterable[str] = (),
        whole_ascii_words: bool = True,
        collapse_repeats: bool = False,
    ) -> SensitiveFilter:
        """Build from (word, category) pairs; `allow` phrases cancel hits they cover.

        `actions` maps categories to block / mask / flag (defaults: `DEFAULT_ACTIONS`, else
        block); `detectors` switches on contact-detail categories: phone, wechat, qq, url, email.
        `collapse_repeats` reads runs of one character as one (`微微微信` → `微信`), in words too.
        """
        action_of = DEFAULT_ACTIONS | dict(actions or {})
        for category, action in action_of.items():
            if action not in ACTIONS:
                raise ValueError(f"category {category!r}: action must be one of {ACTIONS}")
        enabled = {}
        for name in detectors:
            if name not in DETECTORS:
                raise ValueError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}")
            enabled[name] = action_of.get(name, "flag")
        lexicon = Lexicon.build(words, allow, action_of, whole_ascii_words, collapse_repeats)
        return cls(lexicon, enabled)

    def __len__(self) -> int:
        return len(self._lexicon)

    def scan(self, text: str, *, overlapping: bool = False) -> list[Hit]:
        """Every hit in `text`, ordered by position; overlapping words give the longest, or
        (`overlapping`) each of them: 苹果 as well as the 苹果醋 it is part of.

        Both cost the same: the automaton reports every overlapping word either way, and at
        most one per listed word length ends at each character."""
        if len(text) <= CHUNK:
            return self._scan(text, 0, overlapping)
        hits: list[Hit] = []
        start = 0
        while start < len(text):
            cut = text.find("\n", start + CHUNK)
            end = len(text) if cut < 0 else cut + 1
            hits.extend(self._scan(text[start:end], start, overlapping))
            start = end
        return hits

    def _scan(self, text: str, offset: int, overlapping: bool) -> list[Hit]:
        norm = normalize(text)
        matched, repeats = norm, None
        if self._lexicon.collapse_repeats:  # words only: detectors read every digit
            matched, repeats = RepeatMap.of(norm)
        automaton = self._lexicon.automaton
        spans = automaton.find_overlapping(matched) if automaton is not None else []
        if not spans and not self._detectors:
            return []
        mapping = OffsetMap.of(text, norm)
        if repeats is not None:
            spans = [(*repeats.span(start, end), index) for start, end, index in spans]
        hits = self._word_hits(text, spans, mapping, offset, overlapping) if spans else []
        for category, action in self._detectors.items():
            for start, end in DETECTORS[category](text, norm, mapping):
                hits.append(
                    Hit(start + offset, end + offset, category, category, action, text[start:end])
                )
        if self._detectors:
            hits.sort(key=lambda hit: (hit.start, -hit.end))
        return hits

    def _word_hits(
        self,
        text: str,
        spans: list[tuple[int, int, int]],
        mapping: OffsetMap,
        offset: int,
        overlapping: bool,
    ) -> list[Hit]:
        """Hits from (start, end, word index) spans in the normalised text."""
        lex = self._lexicon
        flags = lex.flags
        if any(flags[index] for _, _, index in spans):
            spans = self._screened(text, spans, mapping)
        spans.sort(key=lambda span: (span[0], -span[1]))
        # locals: this loop runs for every hit, and most real messages hit a full list
        category_ids, categories, actions, word = (
            lex.category_ids,
            lex.categories,
            lex.actions,
            lex.word,
        )
        moved = bool(mapping.norm_at)
        hits: list[Hit] = []
        reach = -1
        for start, end, index in spans:
            if end <= reach and not overlapping:
                continue  # inside a longer hit already reported
            reach = end
            orig_start, orig_end = mapping.span(start, end) if moved else (start, end)
            category = category_ids[index]
            hits.append(
                Hit(
                    orig_start + offset,
                    orig_end + offset,
                    word(index),
                    categories[category],
                    actions[category],
                    text[orig_start:orig_end],
                )
            )
        return hits

    def _screened(
        self,
        text: str,
        spans: list[tuple[int, int, int]],
        mapping: OffsetMap,
    ) -> list[tuple[int, int, int]]:
        """`spans` without allowed phrases, what they cover, and ASCII words inside longer
        ASCII words: the rare spans that need more than the automaton's word."""
        flags = self._lexicon.flags
        allowed = [(s, e) for s, e, index in spans if flags[index] & ALLOW]
        inside_allowed = _Cover(allowed) if allowed else None
        kept = []
        for start, end, index in spans:
            if flags[index] & ALLOW or (inside_allowed and inside_allowed(start, end)):
                continue
            if flags[index] & WHOLE_WORD and not _stands_alone(text, *mapping.span(start, end)):
                continue
            kept.append((start, end, index))
        return kept


def masked(
    text: str, hits: Iterable[Hit], actions: Iterable[str] = ("block", "mask"), char: str = "*"
) -> str:
    """`text` with the `hits` (of `text`) of the given actions replaced by `char`."""
    wanted = set(actions)
    out = list(text)
    for hit in hits:
        if hit.action in wanted:
            out[hit.start : hit.end] = char * (hit.end - hit.start)
    return "".join(out)


class _Cover:
    """Whether a span lies inside one of the allowed phrases' spans, in O(log n) a question:
    comparing each hit with each allowed span was quadratic in a customer's text."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans.sort()
        self._starts = [start for start, _ in spans]
        self._reach: list[int] = []  # the furthest end of the spans starting at or before
        for _, end in spans:
            self._reach.append(max(end, self._reach[-1]) if self._reach else end)

    def __call__(self, start: int, end: int) -> bool:
        last = bisect.bisect_right(self._starts, start) - 1
        return last >= 0 and self._reach[last] >= end


def _stands_alone(text: str, start: int, end: int) -> bool:
    before = start > 0 and _is_ascii_word_char(text[start - 1])
    after = end < len(text) and _is_ascii_word_char(text[end])
    return not before and not after
