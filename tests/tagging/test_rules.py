"""Which rules a message fires: any/all, word boundaries, exclusions, scope, spelling variants."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.cli import main
from bot.config import Settings
from bot.tagging.rules import RuleError, RuleMatcher, TagRule, validate


def rule(rule_id: str, keywords: list[str], **extra: object) -> TagRule:
    return TagRule(rule_id, rule_id, keywords, "兴趣", rule_id, **extra)  # type: ignore[arg-type]


def fired(matcher: RuleMatcher, text: str, staff: str = "", channel: str = "") -> list[str]:
    return sorted(m.rule.id for m in matcher.match(text, staff, channel))


def test_any_all_and_spelling_variants() -> None:
    matcher = RuleMatcher(
        [rule("退款", ["退款", "退钱"]), rule("投诉退款", ["投诉", "退款"], mode="all")]
    )
    assert fired(matcher, "能退钱吗") == ["退款"]
    assert fired(matcher, "我要投诉") == []
    assert fired(matcher, "不给退 款我就投訴") == ["投诉退款", "退款"]  # spaced, traditional
    assert fired(matcher, "你好") == []


def test_word_boundary_is_the_operators_choice() -> None:
    loose = RuleMatcher([rule("apple", ["苹果"])])
    strict = RuleMatcher([rule("apple", ["苹果"], word_boundary=True)])
    assert fired(loose, "有苹果醋吗") == ["apple"]
    assert fired(strict, "有苹果醋吗") == []
    assert fired(strict, "苹果多少钱一斤") == ["apple"]


def test_a_longer_word_of_another_rule_does_not_hide_a_shorter_one() -> None:
    matcher = RuleMatcher([rule("apple", ["苹果"]), rule("vinegar", ["苹果醋"])])
    assert fired(matcher, "苹果醋") == ["apple", "vinegar"]
    bounded = RuleMatcher([rule("apple", ["苹果"], word_boundary=True), rule("v", ["苹果醋"])])
    assert fired(bounded, "苹果醋") == ["v"]


def test_exclusions_and_scope() -> None:
    matcher = RuleMatcher(
        [
            rule("apple", ["苹果"], exclusions=["苹果手机"]),
            rule("vip", ["会员"], staff=["zhangsan"], channels=["c1"]),
            rule("off", ["会员"], enabled=False),
        ]
    )
    assert fired(matcher, "苹果手机和苹果") == []
    assert fired(matcher, "办会员", "zhangsan", "c1") == ["vip"]
    assert fired(matcher, "办会员", "lisi", "c1") == []
    assert fired(matcher, "办会员", "zhangsan", "") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "需要名称"),
        ({"keywords": []}, "关键词需要"),
        ({"keywords": [" "]}, "关键词「 」"),
        ({"mode": "some"}, "any（任一）或 all"),
        ({"threshold": 0}, "触发次数应在"),
        ({"threshold": 3}, "需要时间窗口"),
        ({"tag_name": ""}, "目标标签"),
        ({"id": "a b"}, "规则编号"),
    ],
)
def test_bad_rules(changes: dict[str, object], message: str) -> None:
    bad = TagRule(**{**rule("r", ["退款"]).__dict__, **changes})  # type: ignore[arg-type]
    with pytest.raises(RuleError, match=message):
        validate(bad)


async def test_tags_commands(sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, list(argv))

    common = ["tags", "set", "--name", "苹果", "--keywords", "苹果", "--group", "兴趣"]
    assert await cli(*common) == 2
    assert "需要目标标签" in capsys.readouterr().err
    assert await cli(*common, "--tag", "水果", "--word-boundary") == 0
    saved = json.loads(capsys.readouterr().out)
    assert await cli("tags", "test", "有苹果醋吗") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert await cli("tags", "test", "苹果多少钱") == 0
    [fired] = json.loads(capsys.readouterr().out)
    assert (fired["rule"], fired["tag"], fired["keywords"]) == (saved["id"], "兴趣/水果", ["苹果"])
    assert await cli("tags", "remove", saved["id"]) == 0
    capsys.readouterr()
    assert await cli("tags", "remove", saved["id"]) == 2
    assert "没有规则" in capsys.readouterr().err
