"""Operator-written text templates: Jinja2's sandbox, a fixed set of variables, checked on save.

Welcome templates, scripts and (later) SOP steps all render here. Nothing an admin types is
evaluated as code; the sandbox refuses unsafe attribute access, and a trial render at save time
turns every template error into a message for the admin instead of a failure at send time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from jinja2 import Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from bot.text.guard import BlockedText, TextGuard

ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)  # plain text, not HTML


def variables_of(text: str) -> set[str]:
    return set(meta.find_undeclared_variables(ENV.parse(text)))


def uses_name(text: str) -> bool:
    return "customer_name" in variables_of(text)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> Template:
    # a step or script is rendered for thousands of customers; compile its text once
    return ENV.from_string(text)


def render(text: str, variables: dict[str, str]) -> str:
    return _compiled(text).render(**variables)


def text_problem(
    body: str, allowed: Iterable[str], max_bytes: int, guard: TextGuard | None
) -> str | None:
    """What is wrong with a template text, in Chinese, or None: syntax, unknown variables,
    WeCom's byte limit, unsafe constructs, a render error, a blocked sensitive word."""
    allowed = tuple(allowed)
    try:
        names = variables_of(body)
    except TemplateSyntaxError as exc:
        return f"第 {exc.lineno} 行模板语法错误：{exc.message}"
    unknown = sorted(names - set(allowed))
    if unknown:
        return f"用了未知变量 {', '.join(unknown)}；可用：{', '.join(allowed)}"
    size = len(body.encode("utf-8"))
    if size > max_bytes:
        return f"共 {size} 字节，超过企业微信 {max_bytes} 字节的上限"
    try:  # a trial render: the sandbox refuses unsafe attribute access only when rendering
        render(body, dict.fromkeys(allowed, "示例"))
    except SecurityError as exc:
        return f"含有不允许的模板写法：{exc}"
    except Exception as exc:  # e.g. {{ 1 / 0 }}: an admin's template must fail here, not at send
        return f"无法渲染：{exc}"
    if guard is not None:
        try:
            guard.check_outgoing(body)
        except BlockedText as exc:
            return f"：{exc}"
    return None
