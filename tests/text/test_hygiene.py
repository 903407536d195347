"""Word hygiene: what a word matches once listed, and the words that would hit ordinary chat."""

from __future__ import annotations

import pickle

import pytest

from bot.text.filter import SensitiveFilter
from bot.text.hygiene import check_word


@pytest.mark.parametrize(
    ("word", "folded", "risk"),
    [
        ("㈠", "一", "只有一个字"),  # a listed variant form folds onto everyday text
        ("《苹果》", "苹果", "常用词「苹果」"),
        ("電话", "电话", "常用词「电话」"),
        ("Ｓｂ", "sb", "只有 2 个字母"),
        ("６４", "64", "纯数字"),
        ("客服", "客服", "购物和服务对话的常用词"),
    ],
)
def test_risky_words_say_what_they_match_and_why(word: str, folded: str, risk: str) -> None:
    report = check_word(word)
    assert report.folded == folded
    assert report.risky and any(risk in reason for reason in report.risks), report.risks
    if folded != word:
        assert f"按「{folded}」匹配" in report.reason()


@pytest.mark.parametrize("word", ["竞品甲", "代开发票", "法轮功", "hello123", "1234567"])
def test_specific_words_are_not_flagged(word: str) -> None:
    assert check_word(word).risks == ()


def test_the_report_matches_the_filter() -> None:
    """What the report says a word matches as is what the filter catches."""
    report = check_word("《苹果》")
    hits = SensitiveFilter.from_words([("《苹果》", "custom")]).scan("我想买苹果手机")
    assert [(hit.word, hit.text) for hit in hits] == [("《苹果》", report.folded)]


def test_a_filter_survives_pickling_with_its_automaton() -> None:
    """Serving processes load the filter a child built: the automaton travels as bytes."""
    built = SensitiveFilter.from_words([("竞品甲", "competitor"), ("ab", "custom")], ["竞品甲乙"])
    loaded = pickle.loads(pickle.dumps(built))
    for text in ("买竞品甲吧", "竞品甲乙", "ab cd", "abc"):
        assert loaded.scan(text) == built.scan(text)
    assert [hit.word for hit in loaded.scan("买竞品甲吧 ab")] == ["竞品甲", "ab"]
