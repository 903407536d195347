"""Property tests: evasions of listed words are found at the right original offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.filter import SensitiveFilter
from bot.text.normalize import BREAKS, traditional_to_simplified, translation_table

WORDS = [
    ("国家级", "ad_law"),
    ("最佳", "ad_law"),
    ("发票", "custom"),
    ("赌博", "political"),
    ("黄片", "uncivil"),
    ("微信", "competitor"),
    ("广告费", "industry"),
    ("ass", "insult"),
    ("fuck", "insult"),
    ("sb250", "custom"),
]
ALLOW = ["三黄片"]
FILTER = SensitiveFilter.from_words(WORDS, allow=ALLOW)
TO_TRADITIONAL = {simple: trad for trad, simple in traditional_to_simplified().items()}

FILLERS = list(" *@#_-.·~/\\|+=^`'\"()[]{}<>　\u200b\u200c\u200d\u2060\ufeff\u00ad😀🌸")
# Neutral text: characters in no listed word, and no ASCII that could join an ASCII word
NEUTRAL = st.text(alphabet="的了是在有我他这个们来到时大地为子中你说生", max_size=12)


def disguise(ch: str, how: int) -> str:
    if how == 1 and ch.isascii() and ch.isalnum():
        return chr(ord(ch) + 0xFEE0)  # the full-width form
    if how == 2 and ch.isascii():
        return ch.upper()
    if how == 3 and ch in TO_TRADITIONAL:
        return TO_TRADITIONAL[ch]
    return ch


@st.composite
def evaded(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """(prefix, disguised word, suffix, listed word)."""
    word, _ = draw(st.sampled_from(WORDS))
    pieces = []
    for index, ch in enumerate(word):
        pieces.append(disguise(ch, draw(st.integers(0, 3))))
        if index < len(word) - 1:
            pieces.append("".join(draw(st.lists(st.sampled_from(FILLERS), max_size=3))))
    prefix, suffix = draw(NEUTRAL), draw(NEUTRAL)
    if word.isascii():  # an ASCII word must stand alone to count
        prefix, suffix = prefix + " ", " " + suffix
    return prefix, "".join(pieces), suffix, word


@settings(max_examples=300, deadline=None)
@given(evaded())
def test_disguised_words_are_found_at_their_original_offsets(
    case: tuple[str, str, str, str],
) -> None:
    prefix, disguised, suffix, word = case
    text = prefix + disguised + suffix
    hits = [hit for hit in FILTER.scan(text) if hit.word == word]
    assert len(hits) == 1, (text, FILTER.scan(text))
    hit = hits[0]
    assert (hit.start, hit.end) == (len(prefix), len(prefix) + len(disguised))
    assert text[hit.start : hit.end] == hit.text == disguised


@settings(max_examples=200, deadline=None)
@given(evaded(), st.sampled_from(sorted(BREAKS)), st.data())
def test_sentence_punctuation_inside_a_word_stops_it(
    case: tuple[str, str, str, str], stop: str, data: st.DataObject
) -> None:
    prefix, disguised, suffix, word = case
    cut = data.draw(st.integers(1, len(disguised) - 1))
    broken = disguised[:cut] + stop + disguised[cut:]
    text = prefix + broken + suffix
    assert [hit for hit in FILTER.scan(text) if hit.word == word] == []


@settings(max_examples=200, deadline=None)
@given(NEUTRAL, NEUTRAL, st.lists(st.sampled_from(FILLERS), max_size=2), st.booleans())
def test_allowed_phrases_are_never_reported(
    before: str, after: str, noise: list[str], repeat_outside: bool
) -> None:
    allowed = "三" + "".join(noise) + "黄片"
    outside = "，黄片" if repeat_outside else ""
    text = before + allowed + after + outside
    hits = FILTER.scan(text)
    start, end = len(before), len(before) + len(allowed)
    assert all(hit.end <= start or hit.start >= end for hit in hits), hits
    assert len(hits) == (1 if repeat_outside else 0)  # but the word elsewhere still counts


def test_no_character_folds_to_several_beginning_with_itself() -> None:
    """`OffsetMap.of` treats a normalised text equal to its original as unchanged; that is
    sound only while no character folds to a longer string that starts with itself."""
    table = translation_table()[0]
    assert not [
        code
        for code, folded in enumerate(table)
        if isinstance(folded, str) and len(folded) > 1 and folded[0] == chr(code)
    ]
