"""The sensitive-word filter on the cases the issue names, and its edges."""

from __future__ import annotations

import pytest

from bot.text import SensitiveFilter, word_problem
from bot.text.filter import masked
from bot.text.normalize import OffsetMap, normalize


def test_clause_punctuation_is_never_skipped() -> None:
    f = SensitiveFilter.from_words([("口交", "uncivil")])
    assert f.scan("路口，交通") == []
    assert f.scan("路口,交通") == []
    assert f.scan("路口\n交通") == []
    assert [hit.text for hit in f.scan("口*交")] == ["口*交"]


def test_ascii_words_match_whole_words_only() -> None:
    f = SensitiveFilter.from_words([("ass", "insult")])
    assert f.scan("grass and classes") == []
    assert [h.text for h in f.scan("kiss my ass")] == ["ass"]
    assert [h.text for h in f.scan("你个ass!")] == ["ass"]  # CJK is a boundary
    assert [h.text for h in f.scan("ＡＳＳ")] == ["ＡＳＳ"]
    loose = SensitiveFilter.from_words([("ass", "insult")], whole_ascii_words=False)
    assert [h.text for h in loose.scan("grass")] == ["ass"]


def test_allow_list_covers_only_its_own_span() -> None:
    f = SensitiveFilter.from_words([("黄片", "uncivil")], allow=["三黄片"])
    hits = f.scan("三黄片是药，黄片不是")
    assert [(h.start, h.end) for h in hits] == [(6, 8)]


def test_longest_match_and_each_hit_once() -> None:
    f = SensitiveFilter.from_words([("最好", "ad_law"), ("全网最好", "ad_law"), ("好的", "custom")])
    hits = f.scan("全网最好的")
    assert [(h.word, h.start, h.end) for h in hits] == [("全网最好", 0, 4), ("好的", 3, 5)]
    assert len(f.scan("最好最好")) == 2


def test_actions_and_mask() -> None:
    f = SensitiveFilter.from_words(
        [("竞品", "competitor"), ("垃圾", "uncivil"), ("保险", "industry")],
        actions={"industry": "flag"},
    )
    assert [h.action for h in f.scan("竞品垃圾保险")] == ["block", "mask", "flag"]
    assert masked("竞-品 垃圾 保险", f.scan("竞-品 垃圾 保险")) == "*** ** 保险"
    with pytest.raises(ValueError, match="action"):
        SensitiveFilter.from_words([("x", "custom")], actions={"custom": "delete"})


def test_words_written_differently_are_one_word() -> None:
    f = SensitiveFilter.from_words([("國家級", "ad_law"), ("国家级", "custom")])
    assert len(f) == 1
    [hit] = f.scan("国家级")
    assert (hit.word, hit.category) == ("國家級", "ad_law")


def test_unusable_words_are_refused_with_a_reason() -> None:
    assert word_problem("***") is not None
    assert word_problem("你好，世界") is not None
    assert word_problem("微信") is None
    with pytest.raises(ValueError, match="规范化后为空"):
        SensitiveFilter.from_words([("  ", "custom")])


def test_detectors_are_off_unless_switched_on() -> None:
    text = "加我微信 abc_12345，电话 138 1234 5678，邮箱 me@example.com，看 www.example.cn"
    assert SensitiveFilter.from_words([]).scan(text) == []
    f = SensitiveFilter.from_words([], detectors=["phone", "wechat", "email", "url", "qq"])
    found = {h.category: h.text for h in f.scan(text)}
    assert found["phone"] == "138 1234 5678"
    assert found["wechat"] == "微信 abc_12345"
    assert found["email"] == "me@example.com"
    assert found["url"] == "www.example.cn"
    assert [h.text for h in f.scan("扣扣:12345678")] == ["扣扣:12345678"]
    assert f.scan("订单号 13812345678901") == []  # too long to be a phone number
    with pytest.raises(ValueError, match="unknown detector"):
        SensitiveFilter.from_words([], detectors=["fax"])


def test_number_styles_fold_to_digits() -> None:
    f = SensitiveFilter.from_words([], detectors=["phone"])
    [hit] = f.scan("①③⑧①②③④⑤⑥⑦⑧")
    assert (hit.start, hit.end) == (0, 11)
    assert normalize("⑴⒈㈠²") == "11一2"


def test_long_text_is_scanned_in_pieces_with_right_offsets() -> None:
    f = SensitiveFilter.from_words([("违禁品", "custom")])
    line = "这是一段很长的普通文字，没有问题。\n"
    text = line * 10_000 + "卖违-禁品\n" + line * 10_000
    [hit] = f.scan(text)
    assert text[hit.start : hit.end] == "违-禁品"
    assert hit.start == len(line) * 10_000 + 1


def test_offset_map_through_deletions_and_expansions() -> None:
    text = "⑩-ß\u200bx😀"
    norm = normalize(text)
    assert norm == "10ssx"
    mapping = OffsetMap.of(text)
    assert [text[mapping.original(i)] for i in range(len(norm))] == ["⑩", "⑩", "ß", "ß", "x"]
    assert mapping.span(2, 5) == (2, 5)


def test_optional_repeat_collapsing() -> None:
    words = [("fuck", "insult"), ("傻逼", "insult")]
    plain = SensitiveFilter.from_words(words)
    collapsing = SensitiveFilter.from_words(words, collapse_repeats=True)
    text = "fuuuuck 你个傻傻-逼逼"
    assert [h.text for h in plain.scan(text)] == ["傻-逼"]
    hits = collapsing.scan(text)
    assert [(h.word, h.text) for h in hits] == [("fuck", "fuuuuck"), ("傻逼", "傻傻-逼逼")]
    assert all(text[h.start : h.end] == h.text for h in hits)
    phone = SensitiveFilter.from_words([], detectors=["phone"], collapse_repeats=True)
    assert [h.text for h in phone.scan("13800001111")] == ["13800001111"]  # digits not collapsed
