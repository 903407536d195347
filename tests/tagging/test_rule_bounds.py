"""Bounds on tag rules: keyword length (the sensitive words' limit) wherever a rule enters,
the per-corp totals, a matcher built at those bounds, and words inside longer words."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.config_io import ConfigProblems, parse_text
from bot.config_io.fileio import dump_text
from bot.keys import RedisKeys
from bot.tagging.rules import MAX_RULES, MAX_TOTAL_CHARS, RuleMatcher, TagRule
from bot.tagging.store import MatcherCache
from bot.text.lexicon import MAX_WORD_CHARS
from bot.text.normalize import normalize
from bot.wecom import WeComClient
from tests.config_io.conftest import importer

TOO_LONG = f"超过 {MAX_WORD_CHARS} 个字符"  # the sensitive-word library's own message
COMMON = [chr(c) for c in range(0x4E00, 0x4E00 + 3700)]


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def keys_of(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


def rule(rule_id: str, keywords: list[str], **extra: Any) -> TagRule:
    return TagRule(rule_id, rule_id, keywords, "兴趣", rule_id, **extra)


async def test_cli_refuses_an_overlong_keyword_or_exclusion(
    sandbox_cli_env: Settings, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["tags", "set", "--name", "长词", "--group", "兴趣", "--tag", "水果"]
    at_limit = "苹" * MAX_WORD_CHARS
    assert await cli(*common, "--keywords", at_limit + "果") == 2
    err = capsys.readouterr().err
    assert f"关键词「{'苹' * 20}…」{TOO_LONG}" in err
    assert await cli(*common, "--keywords", "苹果", "--exclude", "x" * 10_000) == 2
    assert f"排除词「{'x' * 20}…」{TOO_LONG}" in capsys.readouterr().err
    assert await redis.hlen(keys_of(sandbox_cli_env).tag_rules) == 0
    assert await cli(*common, "--keywords", at_limit) == 0  # the limit itself is allowed


def stored_rules(count: int, chars_each: int) -> dict[str, str]:
    """`count` rules of `chars_each` keyword characters each, as stored JSON by id."""
    out = {}
    for n in range(count):
        words = [f"词{n:04d}" + "字" * (min(MAX_WORD_CHARS, chars_each) - 5)]
        left = chars_each - len(words[0])
        while left > 0:
            words.append(f"{n}" + "子" * (min(MAX_WORD_CHARS, left) - len(f"{n}")))
            left -= len(words[-1])
        out[f"r{n}"] = rule(f"r{n}", words).to_json()
    return out


async def test_per_corp_bounds_hold_on_every_save(
    sandbox_cli_env: Settings, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = keys_of(sandbox_cli_env)
    full = stored_rules(MAX_RULES, MAX_TOTAL_CHARS // MAX_RULES)
    await redis.hset(keys.tag_rules, mapping=full)
    common = ["tags", "set", "--name", "新", "--keywords", "新", "--group", "兴趣", "--tag", "新"]
    assert await cli(*common) == 2
    assert f"每个企业最多 {MAX_RULES} 条标签规则" in capsys.readouterr().err
    # replacing a stored rule is not one more, and the same length is not more characters
    same_length = ["新" * MAX_WORD_CHARS, "旧" * (MAX_TOTAL_CHARS // MAX_RULES - MAX_WORD_CHARS)]
    assert await cli(*common, "--id", "r7", "--keywords", ",".join(same_length)) == 0
    capsys.readouterr()
    assert await cli(*common, "--id", "r7", "--keywords", ",".join([*same_length, "多"])) == 2
    assert f"合计不超过 {MAX_TOTAL_CHARS} 个字（将有 {MAX_TOTAL_CHARS + 1} 个）" in (
        capsys.readouterr().err
    )
    assert json.loads(await redis.hget(keys.tag_rules, "r7"))["keywords"] == same_length
    assert await redis.hlen(keys.tag_rules) == MAX_RULES


async def test_config_import_refuses_overlong_keywords_and_oversized_rule_sets(
    redis: Redis, sandbox_settings: Settings, sandbox_wecom: WeComClient
) -> None:
    keys = keys_of(sandbox_settings)
    long_rule = {"name": "长", "keywords": ["苹果", "苹" * 65], "tag_group": "兴", "tag_name": "长"}
    with pytest.raises(ConfigProblems) as raised:
        await importer(redis, keys, sandbox_wecom).plan(
            parse_text(dump_text({"tag_rules": [long_rule]}))
        )
    assert any(f"关键词「{'苹' * 20}…」{TOO_LONG}" in p for p in raised.value.problems)

    many = [json.loads(r) for r in stored_rules(MAX_RULES + 1, 2).values()]
    with pytest.raises(ConfigProblems) as raised:
        await importer(redis, keys, sandbox_wecom).plan(parse_text(dump_text({"tag_rules": many})))
    assert raised.value.problems == [
        f"tag_rules: 每个企业最多 {MAX_RULES} 条标签规则（将有 {MAX_RULES + 1} 条）"
    ]
    assert await redis.hlen(keys.tag_rules) == 0


def nested_rule_set(seed: int = 5) -> tuple[list[TagRule], dict[str, set[str]]]:
    """Rules filling both per-corp bounds exactly: each holds one 64-character keyword and
    words cut out of another rule's long keyword (so each is inside a longer listed word),
    with the rule ids each long keyword must fire."""
    rng = random.Random(seed)
    longs = ["".join(rng.choice(COMMON) for _ in range(MAX_WORD_CHARS)) for _ in range(MAX_RULES)]
    budget = MAX_TOTAL_CHARS // MAX_RULES - MAX_WORD_CHARS  # 36 characters of short words
    rules, fires = [], {long: set() for long in longs}
    for n, long in enumerate(longs):
        source = longs[(n + 1) % MAX_RULES]
        words, left = [long], budget
        while left:
            size = min(left, rng.choice((1, 2, 3, 5, 8, 13)))
            start = rng.randrange(MAX_WORD_CHARS - size + 1)
            words.append(source[start : start + size])
            left -= size
        rules.append(rule(f"r{n}", words))
        fires[long].add(f"r{n}")
        fires[source].add(f"r{n}")
    return rules, fires


async def test_a_rule_set_at_the_bounds_is_imported_built_and_matches(
    redis: Redis, sandbox_settings: Settings, sandbox_wecom: WeComClient
) -> None:
    keys = keys_of(sandbox_settings)
    rules, fires = nested_rule_set()
    assert sum(len(w) for r in rules for w in r.keywords) == MAX_TOTAL_CHARS
    file = [json.loads(r.to_json()) for r in rules]
    plan = await importer(redis, keys, sandbox_wecom).plan(
        parse_text(dump_text({"tag_rules": file}))
    )
    await importer(redis, keys, sandbox_wecom).apply(plan)

    matcher = await MatcherCache().current(redis, keys)
    by_id = {r.id: r for r in matcher.rules}
    assert len(by_id) == MAX_RULES
    for long in list(fires)[:: MAX_RULES // 50]:
        text = f"请问{long}怎么卖"
        found = fired(matcher, text)
        # a short word of another rule may happen to be in the text too: never fewer
        assert fires[long] <= found
        for rule_id in found - fires[long]:
            assert any(normalize(w) in normalize(text) for w in by_id[rule_id].keywords)

    one_more = file[0] | {"keywords": [*file[0]["keywords"], "多"]}
    with pytest.raises(ConfigProblems) as raised:
        await importer(redis, keys, sandbox_wecom).plan(
            parse_text(dump_text({"tag_rules": [one_more, *file[1:]]}))
        )
    assert raised.value.problems == [
        f"tag_rules: 所有标签规则的关键词和排除词合计不超过 {MAX_TOTAL_CHARS} 个字"
        f"（将有 {MAX_TOTAL_CHARS + 1} 个），请合并或删除一些规则"
    ]


NESTED = [
    rule("果", ["果"]),
    rule("苹果", ["蘋果"]),  # written traditional
    rule("苹果醋", ["苹果醋"]),
    rule("青苹果醋饮料", ["青苹果醋饮料"]),
    rule("苹果醋-词", ["苹果醋"], word_boundary=True),
    rule("苹果-词", ["苹果"], word_boundary=True),
    rule("红富士苹果", ["红富士苹果"]),
    rule("app", ["ＡＰＰ"]),  # written full-width
    rule("apple", ["apple"]),
    rule("苹果-非醋", ["苹果"], exclusions=["果醋"]),
]
TEXTS = [  # where a longer word listed by another rule used to hide a shorter one
    "我想喝青蘋果醋飲料",  # traditional: every nested word of it, 1 to 6 characters
    "青苹果醋饮料有吗",  # jieba: 青 / 苹果醋 / 饮料, so 苹果醋 stands alone
    "红富士苹果多少钱",  # jieba: 红富士 / 苹果
    "apple pie",  # app is not a whole word here, with or without the rule for apple
]


@pytest.mark.parametrize("text", TEXTS)
def test_words_inside_longer_words_fire_as_if_the_rule_were_alone(text: str) -> None:
    together = {m.rule.id for m in RuleMatcher(NESTED).match(text)}
    alone = {r.id for r in NESTED if RuleMatcher([r]).match(text)}
    assert together == alone


def fired(matcher: RuleMatcher, text: str) -> set[str]:
    return {m.rule.id for m in matcher.match(text)}


def test_nested_words_of_every_length_and_spelling_are_found() -> None:
    matcher = RuleMatcher(NESTED)
    loose = {"果", "苹果", "苹果醋", "青苹果醋饮料"}
    # traditional text, a keyword written traditional: each nested word, 1 to 6 characters
    traditional = fired(matcher, "我想喝青蘋果醋飲料")
    assert loose <= traditional and "苹果-非醋" not in traditional  # 果醋 is inside too
    # word boundaries are jieba's: 青 / 苹果醋 / 饮料, and 红富士 / 苹果
    assert fired(matcher, "青苹果醋饮料有吗") == loose | {"苹果醋-词"}
    assert fired(matcher, "红富士苹果多少钱") == {
        "果",
        "苹果",
        "苹果-词",
        "红富士苹果",
        "苹果-非醋",
    }
    assert fired(matcher, "ｍｙ ＡＰＰ and Apple") == {"app", "apple"}
    assert fired(matcher, "apples") == set()  # whole ASCII words only
