"""Jinja's syntax errors, said in Chinese for the operator who wrote the template.

Jinja words its errors for developers, in English ("Unexpected end of template. Jinja was
looking for the following tags: 'elif' or 'else' or 'endif'…"). Its parser and lexer raise a
small, stable set of messages; each is matched here and said again in terms of what the
operator typed (`缺少 {% endif %}`). A message not matched (a Jinja release that words one
differently) gets a general hint rather than the English text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from jinja2 import TemplateSyntaxError

from bot.templating.language import ALLOWED_HELP

# how Jinja's messages name tokens (`describe_token`), as the operator writes them
TOKENS = {
    "end of print statement": "「}}」",
    "end of statement block": "「%}」",
    "begin of print statement": "「{{」",
    "begin of statement block": "「{%」",
    "end of template": "模板结尾",
    "name": "名称",
    "integer": "数字",
    "float": "数字",
    "string": "文本",
}
GENERAL = "写法有误，请检查 {{ }}、{% %}、括号和引号是否成对"
SHOWN_CHARS = 20  # of anything quoted back from the template


def _token(described: str) -> str:
    """A token as Jinja describes it, as the operator sees it: 「}}」, 「b」, 数字."""
    if described in TOKENS:
        return TOKENS[described]
    shown = described if len(described) <= SHOWN_CHARS else described[:SHOWN_CHARS] + "…"
    return f"「{shown}」"


def _innermost(message: str) -> str | None:
    found = re.search(r"innermost block that needs to be closed is '(\w+)'", message)
    return found.group(1) if found else None


def _end_of_template(match: re.Match[str], message: str) -> str:
    block = _innermost(message)
    if block is None:
        return "模板不完整"
    return f"缺少 {{% end{block} %}}（与前面的 {{% {block} … %}} 配对）"


def _unknown_tag(match: re.Match[str], message: str) -> str:
    tag = match.group(1)
    block = _innermost(message)
    closing = tag.startswith("end") or tag in ("else", "elif")
    if closing and block is not None:
        return f"{{% {tag} %}} 的位置不对：前面的 {{% {block} … %}} 应先用 {{% end{block} %}} 结束"
    if closing:
        return f"多余的 {{% {tag} %}}：前面没有与之配对的开始标签（如 {{% if … %}}）"
    return f"不认识的标签 {{% {_token(tag)[1:-1]} %}}；{ALLOWED_HELP}"


def _char(match: re.Match[str], message: str) -> str:
    try:
        char = str(ast.literal_eval(match.group(1)))
    except (ValueError, SyntaxError):
        char = match.group(1)
    if char in "'\"":
        return "引号没有闭合（文字要用成对的引号括起来）"
    return f"不能识别的字符「{char}」"


def _unexpected(match: re.Match[str], message: str) -> str:
    what = match.group(1)
    if what == "end of template":
        return "模板在结尾处不完整"
    if what in ("end of print statement", "end of statement block"):
        return f"{_token(what)}前的表达式不完整"
    return f"多余的{_token(what)}"


# (pattern, what to say): the messages of jinja2.parser and jinja2.lexer (Jinja 3.1)
Phrase = Callable[[re.Match[str], str], str]
PATTERNS: list[tuple[re.Pattern[str], Phrase]] = [
    (re.compile(r"^Unexpected end of template\."), _end_of_template),
    (re.compile(r"^Encountered unknown tag '([^']*)'"), _unknown_tag),
    (
        re.compile(r"^unexpected end of template, expected '(.+)'\.?$"),
        lambda m, _: f"模板在结尾处不完整：缺少{_token(m.group(1))}",
    ),
    (
        re.compile(r"^expected token '(.+)', got '(.*)'$"),
        lambda m, _: f"在{_token(m.group(2))}处应是{_token(m.group(1))}",
    ),
    (
        re.compile(r"^unexpected '(.+)', expected '(.+)'$"),
        lambda m, _: f"括号不成对：{_token(m.group(1))}前缺少{_token(m.group(2))}",
    ),
    (re.compile(r"^unexpected '(.+)'$"), _unexpected),
    (re.compile(r"^unexpected char (.+) at \d+$"), _char),
    (
        re.compile(r"^Expected an expression, got '(.+)'$"),
        lambda m, _: f"{_token(m.group(1))}前缺少变量或条件",
    ),
    (re.compile(r"^tag name expected$"), lambda m, _: "{% %} 中缺少标签名（如 if）"),
    (re.compile(r"^Missing end of comment tag$"), lambda m, _: "注释缺少结尾的 #}"),
    (
        re.compile(r"^Missing end of raw directive$"),
        lambda m, _: "{% raw %} 缺少 {% endraw %}",
    ),
    (re.compile(r"^Invalid character in identifier$"), lambda m, _: "名称中有无效字符"),
]


def syntax_problem(exc: TemplateSyntaxError) -> str:
    """`第 N 行模板语法错误：…` in Chinese, for any syntax error Jinja raises."""
    message = exc.message or ""
    said = next(
        (
            phrase(found, message)
            for pattern, phrase in PATTERNS
            if (found := pattern.match(message))
        ),
        GENERAL,
    )
    return f"第 {exc.lineno} 行模板语法错误：{said}"
