"""Word hygiene: what a listed word really matches, and why listing it may block ordinary chat.

The filter matches a word's *normalised* form in normalised text (`bot.text.normalize`), so a
word stands for every writing that folds onto that form: `電话` matches every 电话, `《苹果》`
every 苹果, `㈠` every 一. Measured on a real public list (~51k words) and real shop reviews,
importing everything flagged 84 % of messages; refusing the ~1,200 words below brings that to
9 % (benchmarks/README.md). A word is risky when its normalised form is:
- one character, or letters only and at most two of them (`sb`, `mm`, `is`);
- digits only, up to six (`24`, `500`, `64`): prices, dates and order numbers;
- a common word: jieba's dictionary frequency at least `COMMON_FREQ`, or a word of everyday
  shop and service conversation (`data/shop_words.txt`: 客服, 到货, 发票 …).
Bulk imports refuse risky words unless told to keep them; a word added by hand is kept and
the admin is warned — except a single character, which is refused however it comes.
`scrm-bot words check --word` and `敏感词 测试` show the same report.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import jieba

from bot.quoting import echo
from bot.text.normalize import normalize

COMMON_FREQ = 500  # the top ~3.6 % of jieba's 349k words: 苹果 1334, 电话 8354, 小姐 4414
MAX_DIGITS = 6
_SPACE = re.compile(r"\s+")


@cache
def shop_words() -> frozenset[str]:
    text = importlib.resources.files("bot.text").joinpath("data/shop_words.txt").read_text("utf-8")
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(normalize(word) for line in lines for word in line.split())


def _frequencies() -> Mapping[str, int]:
    jieba.dt.check_initialized()  # loaded at start-up in the bot; ~0.5 s once in a CLI
    freq: Mapping[str, int] = jieba.dt.FREQ
    return freq


@dataclass(frozen=True, slots=True)
class WordReport:
    """One word: the form it is matched by and every reason listing it is risky (Chinese)."""

    word: str
    folded: str
    risks: tuple[str, ...]

    @property
    def risky(self) -> bool:
        return bool(self.risks)

    @property
    def single_character(self) -> bool:
        """It folds to one character: it would block every text with that character, so it is
        refused everywhere (chat, console, CLI, import), not only flagged."""
        return len(self.folded) == 1

    def reason(self) -> str:
        """The risks in one line, with what the word folds to when that is not obvious."""
        folded = ""
        if _SPACE.sub("", self.word).casefold() != self.folded:
            folded = f"（「{echo(self.word)}」按「{echo(self.folded)}」匹配）"
        return "；".join(self.risks) + folded

    def as_dict(self) -> dict[str, object]:
        return {"word": self.word, "matches_as": self.folded, "risks": list(self.risks)}


def check_word(word: str) -> WordReport:
    """What `word` matches once listed, and why that may be too much."""
    folded = normalize(word)
    return WordReport(word, folded, _risks(folded))


def _risks(folded: str) -> tuple[str, ...]:
    risks: list[str] = []
    if len(folded) == 1:
        risks.append(f"只有一个字「{folded}」，会命中所有含这个字的文字")
    elif folded.isascii() and folded.isalpha() and len(folded) <= 2:
        risks.append(f"只有 {len(folded)} 个字母「{folded}」，常出现在正常文字里")
    if folded.isdigit() and len(folded) <= MAX_DIGITS:
        risks.append(f"纯数字「{folded}」，会命中价格、日期和订单号")
    freq = _frequencies().get(folded, 0) if len(folded) > 1 else 0
    if freq >= COMMON_FREQ:
        risks.append(f"常用词「{folded}」（jieba 词频 {freq}），日常对话经常出现")
    elif folded in shop_words():
        risks.append(f"购物和服务对话的常用词「{folded}」")
    return tuple(risks)
