"""Parse, check, compile and render operator-written templates within their budget.

A template is parsed only once its size is known to be small, checked against the language
(`bot.templating.language`) before Jinja compiles it, and rendered with each variable's value
cut to `MAX_VALUE_CHARS` and the output counted as it is produced. At save, `text_problem` turns
every problem into a Chinese message. At send, `render_or_plain` never raises: a template that
fails (one saved before these rules, or edited in Redis by hand) sends its plain text instead,
and the failure is logged, so a bad template can't turn a welcome into a retried, dead-lettered
event.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jinja2 import Template, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from bot.templating.language import (
    ALLOWED_HELP,
    MAX_OUTPUT_BYTES,
    MAX_SOURCE_BYTES,
    MAX_VALUE_CHARS,
    Checked,
    TemplateProblem,
    check_tree,
)
from bot.templating.syntax import syntax_problem
from bot.text.guard import BlockedText, TextGuard

# plain text, not HTML; the sandbox stays as a second wall behind the language check
ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
# every name a template may use anywhere; each caller narrows it to its own variables
ALL_VARIABLES = ("customer_name", "staff_name", "channel_name", "date")
SAMPLE = "示例"
_OPENERS = {"{{": "}}", "{%": "%}", "{#": "#}"}

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Compiled:
    template: Template
    checked: Checked


@functools.lru_cache(maxsize=1024)
def _compiled(text: str, allowed: tuple[str, ...]) -> _Compiled | str:
    """The compiled template, or why it can't be (kept too: a template outside the language
    that is still stored is not parsed again for every customer it falls back for)."""
    # a step or script is rendered for thousands of customers: parse, check and compile once
    try:
        return _compile(text, allowed)
    except TemplateProblem as exc:
        return str(exc)


def _checked(text: str, allowed: Iterable[str]) -> _Compiled:
    result = _compiled(text, tuple(sorted(allowed)))
    if isinstance(result, str):
        raise TemplateProblem(result)
    return result


def _compile(text: str, allowed: tuple[str, ...]) -> _Compiled:
    size = len(text.encode())
    if size > MAX_SOURCE_BYTES:
        raise TemplateProblem(f"模板共 {size} 字节，超过 {MAX_SOURCE_BYTES} 字节上限")
    try:
        tree = ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(syntax_problem(exc)) from None
    except (RecursionError, ValueError, OverflowError):  # "((((…", a 5000-digit number
        raise TemplateProblem("模板写法过于复杂，无法解析") from None
    checked = check_tree(tree, allowed)
    return _Compiled(ENV.from_string(tree), checked)


def compile_checked(text: str, allowed: Iterable[str] = ALL_VARIABLES) -> Checked:
    """What a template uses and can produce; raises `TemplateProblem`."""
    return _checked(text, allowed).checked


def render(text: str, variables: Mapping[str, str], allowed: Iterable[str] = ALL_VARIABLES) -> str:
    """Render a template; raises `TemplateProblem` (for trial renders at save time)."""
    compiled = _checked(text, allowed)
    values = {name: str(value)[:MAX_VALUE_CHARS] for name, value in variables.items()}
    parts: list[str] = []
    size = 0
    try:
        for part in compiled.template.generate(**values):
            size += len(part.encode())
            if size > MAX_OUTPUT_BYTES:  # the checked bound makes this a backstop
                raise TemplateProblem(f"渲染结果超过 {MAX_OUTPUT_BYTES // 1024} KiB 上限")
            parts.append(part)
    except TemplateProblem:
        raise
    except SecurityError:  # the language check refuses all of it first: a backstop
        raise TemplateProblem(f"含有不允许的模板写法；{ALLOWED_HELP}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError):
        raise TemplateProblem("无法渲染，请检查变量和过滤器的写法") from None
    return "".join(parts)


def render_or_plain(text: str, variables: Mapping[str, str], where: str = "") -> str:
    """Render for sending; on any problem, the template's plain text (logged, never raised)."""
    try:
        return render(text, variables)
    except TemplateProblem as exc:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        log.warning(
            "template %s%s not rendered, its plain text goes instead: %s",
            digest,
            f" ({where})" if where else "",
            exc,
        )
        return plain_text(text)


def plain_text(text: str) -> str:
    """`text` without its `{{ }}`, `{% %}` and `{# #}` tags, in one pass over it.

    A tag left open keeps the rest as it is: a regex with a lazy `.*?` would rescan the rest
    from every opener, which is quadratic in a text full of `{{`.
    """
    text = text[:MAX_SOURCE_BYTES]
    out: list[str] = []
    at = 0
    while at < len(text):
        start = text.find("{", at)
        if start < 0 or start + 1 >= len(text):
            break
        closer = _OPENERS.get(text[start : start + 2])
        end = text.find(closer, start + 2) if closer else -1
        if closer and end < 0:
            break
        if end < 0:
            out.append(text[at : start + 1])
            at = start + 1
            continue
        out.append(text[at:start])
        at = end + 2
    out.append(text[at:])
    return "".join(out)


def variables_of(text: str) -> frozenset[str]:
    """The variables a template uses; none for a template outside the language."""
    try:
        return compile_checked(text).variables
    except TemplateProblem:
        return frozenset()


def uses_name(text: str) -> bool:
    return "customer_name" in variables_of(text)


def text_problem(
    body: str, allowed: Iterable[str], max_bytes: int, guard: TextGuard | None
) -> str | None:
    """What is wrong with a template text, in Chinese, or None: WeCom's byte limit, syntax,
    constructs outside the language, unknown variables, a render error, a blocked word in
    the text or in what it renders to."""
    allowed = tuple(allowed)
    size = len(body.encode("utf-8"))
    if size > max_bytes:  # before parsing: the size bounds what parsing costs
        return f"共 {size} 字节，超过企业微信 {max_bytes} 字节的上限"
    try:  # each render checks the language first
        # with values and without: each `if` branch that prints literal text shows up once
        renders = [render(body, dict.fromkeys(allowed, SAMPLE), allowed)]
        renders.append(render(body, dict.fromkeys(allowed, ""), allowed))
    except TemplateProblem as exc:
        return f"：{exc}" if not str(exc).startswith("第") else str(exc)
    if guard is not None:
        for text in (body, *renders):
            try:
                guard.check_outgoing(text)
            except BlockedText as exc:
                return f"：{exc}"
    return None
