"""A template Jinja can't parse is refused with one Chinese line naming its line and what is
missing or extra — never Jinja's English developer message."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.templating import text_problem

VARIABLES = ("customer_name", "staff_name", "channel_name", "date")
# two English words in a row: what Jinja's own messages are made of
ENGLISH = re.compile(r"[A-Za-z]{2,},? [A-Za-z]{2,}")


def problem(text: str) -> str:
    found = text_problem(text, VARIABLES, 4000, None)
    assert found is not None, text
    return found


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("您好\n{% if customer_name %}亲", "第 2 行模板语法错误：缺少 {% endif %}"),
        ("{% if date %}a{% else %}b", "缺少 {% endif %}"),
        ("{% endif %}", "多余的 {% endif %}"),
        ("{% else %}", "多余的 {% else %}"),
        ("{% if date %}{% endfor %}", "{% endfor %} 的位置不对"),
        ("{% foo %}", "不认识的标签 {% foo %}"),
        ("{{ customer_name", "缺少「}}」"),
        ("{{ customer_name }", "多余的「}」"),
        ("{{ }}", "「}}」前缺少变量或条件"),
        ("{% if %}x{% endif %}", "「%}」前缺少变量或条件"),
        ("{% %}", "缺少标签名"),
        ("{{ customer_name staff_name }}", "在「staff_name」处应是「}}」"),
        ("{{ customer_name | }}", "在「}}」处应是名称"),
        ("{{ customer_name ! }}", "不能识别的字符「!」"),
        ("{{ (customer_name }}", "括号不成对：「}」前缺少「)」"),
        ("{{ customer_name|default('朋友) }}", "引号没有闭合"),
        ("{# 备注", "注释缺少结尾的 #}"),
        ("{{ customer_name == }}", "「}}」前的表达式不完整"),
        ("{{ customer_name }} {{", "模板在结尾处不完整"),
        ("{{ '\\x' }}", "写法有误"),  # an escape Jinja can't read: the general hint
    ],
)
def test_syntax_errors_are_said_in_chinese(text: str, said: str) -> None:
    message = problem(text)
    assert said in message
    assert re.match(r"^第 \d+ 行模板语法错误：", message) and "\n" not in message
    assert not ENGLISH.search(message), message


PIECES = ["{{", "}}", "{%", "%}", "{#", "#}", " if ", " else ", " endif ", " elif ", "(", ")"]
PIECES += ["[", "]", "'", '"', "|", "==", " customer_name ", " date ", "!", "文字", "\n", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_no_template_gets_a_message_in_english(pieces: list[str]) -> None:
    found = text_problem("".join(pieces), VARIABLES, 4000, None)
    if found is not None:
        assert not ENGLISH.search(found), found
        assert "\n" not in found
