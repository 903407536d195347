"""Text normalisation in one translation table, with a map back to the original offsets.

Every character is folded on its own: NFKC (full-width → half-width, ①⑴⒈㈠ and superscripts →
digits, compatibility ideographs → unified), case folding, Latin accents stripped, traditional →
simplified (OpenCC's single-character table). Invisible characters and filler symbols
(punctuation, symbols, spaces, emoji) are deleted, so `微-信`, `微 信` and `微\u200b信` all read
`微信`. Sentence punctuation (，。！？；、… , ! ? ; and line breaks) is kept: no word contains
it, so no match can span two clauses (`路口，交通` never reads `口交`).

The table is a list indexed by code point, which `str.translate` walks at C speed; folding a
message costs well under a microsecond per 30 characters.
"""

from __future__ import annotations

import bisect
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# Kept as they are: a match may never cross one of these.
BREAKS = frozenset("，。！？；、…,!?;\n\r\u2028\u2029")
TABLE_SIZE = 0x20000  # BMP and SMP (emoji, math letters); rarer planes pass through unchanged


@cache
def traditional_to_simplified() -> dict[str, str]:
    """OpenCC's traditional → simplified single characters (the first choice of each)."""
    data = importlib.resources.files("opencc").joinpath("dictionary/TSCharacters.txt")
    pairs: dict[str, str] = {}
    for line in data.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            pairs[source] = targets.split(" ")[0]
    return pairs


def _is_filler(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "PSZC" or category in ("Mn", "Me")


def fold_char(ch: str) -> str:
    """What one character becomes: '' for fillers, often itself, sometimes two characters."""
    if ch in BREAKS:
        return ch
    trad = traditional_to_simplified()
    out: list[str] = []
    for part in unicodedata.normalize("NFKC", ch):
        if part in BREAKS:
            out.append(part)
            continue
        for folded in part.casefold():
            if _is_filler(folded):
                continue
            if not folded.isascii():
                base = unicodedata.normalize("NFKD", folded)[0]
                if base.isascii() and base.isalpha():
                    folded = base  # é → e; CJK and other scripts stay whole
            out.append(trad.get(folded, folded))
    return "".join(out)


@cache
def translation_table() -> tuple[list[int | str | None], frozenset[str]]:
    """The table for `str.translate`, and the characters that don't map to exactly one."""
    table: list[int | str | None] = list(range(TABLE_SIZE))
    uneven: set[str] = set()
    for code in range(TABLE_SIZE):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        folded = fold_char(ch)
        if folded != ch:
            table[code] = folded or None
        if len(folded) != 1:
            uneven.add(ch)
    return table, frozenset(uneven)


@cache
def _marker_table() -> list[int]:
    """Translates every character that doesn't fold to exactly one into NUL, others to themselves.

    Finding NULs with `str.find` is how `OffsetMap` locates deletions and expansions at C
    speed; a regex class of the ~60k such characters was 30x slower.
    """
    marks = list(range(TABLE_SIZE))
    for ch in translation_table()[1]:
        marks[ord(ch)] = 0
    return marks


_REPEATS = re.compile(r"(.)\1+", re.DOTALL)


def normalize(text: str) -> str:
    """The folded form of `text` that words and allowed phrases are matched against."""
    return text.translate(translation_table()[0])


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Maps positions in `normalize(text)` back to positions in `text`.

    Between characters that fold to exactly one character, positions move in step; each
    breakpoint records where that stops (a deletion or an expansion).
    """

    norm_at: list[int]  # normalised position of each uneven character's output
    orig_at: list[int]  # its position in the original text
    width: list[int]  # how many characters it became (0 = deleted)

    @classmethod
    def of(cls, text: str, norm: str | None = None) -> OffsetMap:
        """The map for `text`; pass `norm` (its normalised form) to skip the work when the
        two are equal. Equal means no character changed: at the first one that did, the
        output would differ, because no character is deleted into one that is kept, and no
        character folds to several beginning with itself (`test_normalize` checks the table)."""
        if norm == text:
            return _IDENTITY
        table = translation_table()[0]
        norm_at: list[int] = []
        orig_at: list[int] = []
        width: list[int] = []
        shift = 0  # normalised position minus original position so far
        marked = text.translate(_marker_table())
        i = marked.find("\0")
        while i >= 0:
            folded = table[ord(text[i])]
            size = 0 if folded is None else len(folded) if isinstance(folded, str) else 1
            norm_at.append(i + shift)
            orig_at.append(i)
            width.append(size)
            shift += size - 1
            i = marked.find("\0", i + 1)
        return cls(norm_at, orig_at, width)

    def original(self, pos: int) -> int:
        """The original index of the character at normalised position `pos`."""
        if not self.norm_at:
            return pos
        # the last uneven character at or before `pos`; a deletion there lies before `pos`
        k = bisect.bisect_right(self.norm_at, pos) - 1
        if k < 0:
            return pos
        if pos < self.norm_at[k] + self.width[k]:
            return self.orig_at[k]  # inside an expansion: all of it came from one character
        return self.orig_at[k] + 1 + (pos - self.norm_at[k] - self.width[k])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original slice of the normalised slice [start, end), end exclusive."""
        if not self.norm_at:
            return start, end
        return self.original(start), self.original(end - 1) + 1


_IDENTITY = OffsetMap([], [], [])


@dataclass(frozen=True, slots=True)
class RepeatMap:
    """For the optional repeat collapsing (`傻傻傻逼` reads `傻逼`): maps the collapsed text back.

    A collapsed character stands for its whole run, so a span ends where its last run ends.
    """

    offsets: OffsetMap
    run_length: dict[int, int]  # normalised start of each run of 2+ -> its length

    @classmethod
    def of(cls, norm: str) -> tuple[str, RepeatMap]:
        norm_at: list[int] = []
        orig_at: list[int] = []
        run_length: dict[int, int] = {}
        for run in _REPEATS.finditer(norm):
            run_length[run.start()] = run.end() - run.start()
            for i in range(run.start() + 1, run.end()):
                norm_at.append(i - len(norm_at))  # each deleted duplicate shifts the rest
                orig_at.append(i)
        offsets = OffsetMap(norm_at, orig_at, [0] * len(norm_at))
        return _REPEATS.sub(r"\1", norm), cls(offsets, run_length)

    def span(self, start: int, end: int) -> tuple[int, int]:
        last = self.offsets.original(end - 1)
        return self.offsets.original(start), last + self.run_length.get(last, 1)
