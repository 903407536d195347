"""The command grammar: words and aliases, `|` fields, multi-line content, hints not guesses."""

from __future__ import annotations

import pytest

from bot.admin.grammar import NotCommand, Parsed, Usage
from bot.admin.specs import grammar, help_text


def parsed(text: str) -> Parsed:
    result = grammar().parse(text)
    assert isinstance(result, Parsed), result
    return result


def test_add_with_pipe_fields_and_multiline_content() -> None:
    cmd = parsed("话术 新增 售后/退货 ｜ 退货流程 | 第一行\n第二行 | 带竖线也行")
    assert cmd.spec.key == "script.add"
    assert cmd.values == {
        "category": "售后/退货",
        "title": "退货流程",
        "text": "第一行\n第二行 | 带竖线也行",  # the last field takes the rest
    }


def test_english_aliases_and_case() -> None:
    assert parsed("Script Search 退货").spec.key == "script.search"
    assert parsed("word test 加我微信").values == {"text": "加我微信"}
    assert parsed("HELP").spec.key == "help"


def test_word_arguments_last_takes_the_rest() -> None:
    cmd = parsed("话术 修改 ab12cd34 内容 新的\n两行内容")
    assert cmd.values == {"id": "ab12cd34", "field": "内容", "value": "新的\n两行内容"}


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("话术", "后面要跟操作"),
        ("话术 新建 a | b | c", "没有「新建」这个操作"),
        ("话术 新增 只有分类", "用法"),
        ("话术 新增 a | | c", "用法"),  # an empty required field
        ("话术 修改 ab12 颜色 红", "不是可选项"),
        ("话术 恢复 ab12", "用法"),
        ("撤销 现在", "用法"),  # a bare command takes nothing after it
        ("话述 新增 a | b | c", "是不是想用「话术」"),
    ],
)
def test_incomplete_or_wrong_commands_get_a_hint(text: str, hint: str) -> None:
    result = grammar().parse(text)
    assert isinstance(result, Usage), result
    assert hint in result.message


@pytest.mark.parametrize("text", ["", "   ", "你好", "统一下单了吗", "话述很好", "帮忙看下"])
def test_ordinary_text_is_not_a_command(text: str) -> None:
    assert isinstance(grammar().parse(text), NotCommand)


def test_optional_arguments() -> None:
    assert parsed("统计").values == {}
    assert parsed("统计 30").values == {"days": "30"}
    assert parsed("敏感词 列表").values == {}


def test_help_lists_every_command_and_explains_one() -> None:
    everything = help_text()
    for noun in grammar().nouns.values():
        assert noun.title in everything
    scripts = help_text("话术")
    assert all(spec.usage in scripts for spec in grammar().specs["script"])
    assert "没有「天气」" in help_text("天气")
