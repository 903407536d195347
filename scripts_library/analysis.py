"""Script analysis for search: segmenting every field into weighted tokens and pinyin initials.

Chinese has no spaces, so every field is segmented with jieba (search mode, no HMM, so a
query and a script segment the same way) after the shared normaliser (width, case,
traditional → simplified). Each token also contributes its pinyin initials, so `sh` finds
售后 and `thlc` finds 退货流程. jieba is pure Python: a large batch is segmented in a child
process, so the serving process's event loop keeps answering (see `analyse_all`).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import jieba
from pypinyin import Style, lazy_pinyin

from bot.text.normalize import normalize
from scripts_library.scripts import Script

WEIGHTS = {"keywords": 4.0, "title": 3.0, "category": 2.0, "text": 1.0}
INITIALS_WEIGHT = 2.0
SUBSTRING_WEIGHT = 0.5
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
