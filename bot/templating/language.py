"""The template language operators write: Jinja2 syntax, cut down to what is bounded.

Operators need variables, a few filters and `if`. Everything else Jinja offers can make one
save or one render cost without limit: `{% for %}` and `range` multiply, `*` and `%` build
strings of any size (and Jinja folds `'a' * N` while compiling, before any sandbox runs),
macros recurse, and `format`, `center`, `indent`, `wordwrap`, `batch` … grow their input.
Intercepting each of those in a sandbox is a race against Jinja's next release; checking the
parsed tree against a short list of allowed nodes is not. Without loops, every node renders at
most once, so a render costs time linear in the template and its output has a bound we compute
here, before anything is compiled: a template whose bound exceeds `MAX_OUTPUT_BYTES` is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jinja2 import nodes

from bot.errors import UserError

MAX_SOURCE_BYTES = 8 * 1024  # any template text, before it is parsed (WeCom takes 4000 bytes)
MAX_OUTPUT_BYTES = 64 * 1024
MAX_VALUE_CHARS = 128  # each variable's value is cut to this before rendering
MAX_DEPTH = 40  # nesting of expressions and ifs; deeper is unreadable, and recursion is bounded
_VALUE_BYTES = MAX_VALUE_CHARS * 4  # UTF-8 takes at most 4 bytes a character
_CASE_GROWTH = 3  # str.upper() and friends turn one character into at most three ("ﬃ" → "FFI")
FILTERS = {
    "default": "默认值",
    "d": "默认值",
    "trim": "去掉首尾空白",
    "upper": "大写",
    "lower": "小写",
    "title": "首字母大写",
    "capitalize": "句首大写",
    "truncate": "截断",
}
_CASE_FILTERS = {"upper", "lower", "title", "capitalize"}
COMPARISONS = {"eq": "==", "ne": "!=", "in": "in", "notin": "not in"}
# what the refusal calls each construct the language leaves out
_REFUSED = {
    nodes.For: "循环（for）",
    nodes.Macro: "宏（macro）",
    nodes.CallBlock: "call 块",
    nodes.Call: "函数调用",
    nodes.Getattr: "属性访问（.）",
    nodes.Getitem: "下标访问（[]）",
    nodes.Slice: "切片",
    nodes.Assign: "赋值（set）",
    nodes.AssignBlock: "赋值（set）",
    nodes.Include: "引用其他模板（include）",
    nodes.Import: "导入（import）",
    nodes.FromImport: "导入（import）",
    nodes.Extends: "继承（extends）",
    nodes.Block: "块（block）",
    nodes.FilterBlock: "filter 块",
    nodes.With: "with 块",
    nodes.Test: "is 判断",
    nodes.BinExpr: "算术运算（+ - * / % **）",
    nodes.UnaryExpr: "正负号",
    nodes.Literal: "列表或字典",
    nodes.EvalContextModifier: "autoescape 块",
}
ALLOWED_HELP = "可用写法：{{ 变量 }}、{{ 变量|default('…') }}、{% if 条件 %}…{% else %}…{% endif %}"


class TemplateProblem(UserError, ValueError):
    """A template outside the language, in Chinese for the operator who wrote it."""


@dataclass(frozen=True, slots=True)
class Checked:
    """What a template that passed the check uses and can produce at most."""

    variables: frozenset[str]
    max_output_bytes: int


def check_tree(tree: nodes.Template, allowed: Iterable[str]) -> Checked:
    """Check a parsed template against the language; raise `TemplateProblem` naming the first
    construct outside it, an unknown variable, or an output bound over `MAX_OUTPUT_BYTES`."""
    walker = _Walker(frozenset(allowed))
    bound = walker.statements(tree.body, 0)
    if bound > MAX_OUTPUT_BYTES:
        raise TemplateProblem(
            f"展开后最多可能有 {bound // 1024} KiB，超过 {MAX_OUTPUT_BYTES // 1024} KiB 上限"
            f"（每个变量按最多 {MAX_VALUE_CHARS} 个字计）"
        )
    return Checked(frozenset(walker.used), bound)


class _Walker:
    """Walks the tree once; each method returns the most bytes its node can render."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.used: set[str] = set()

    def statements(self, body: list[nodes.Node], depth: int) -> int:
        return sum(self.statement(node, depth) for node in body)

    def statement(self, node: nodes.Node, depth: int) -> int:
        _deep(node, depth)
        if isinstance(node, nodes.Output):
            return sum(self.expr(child, depth + 1) for child in node.nodes)
        if isinstance(node, nodes.If):
            self.expr(node.test, depth + 1)
            # every branch counted: a bound, whichever one runs
            total = self.statements(node.body, depth + 1) + self.statements(node.else_, depth + 1)
            return total + sum(self.statement(branch, depth + 1) for branch in node.elif_)
        raise _refused(node)

    def expr(self, node: nodes.Node, depth: int) -> int:
        _deep(node, depth)
        if isinstance(node, nodes.TemplateData):
            return len(node.data.encode())
        if isinstance(node, nodes.Const):
            return self.const(node)
        if isinstance(node, nodes.Name):
            return self.name(node)
        if isinstance(node, nodes.Filter):
            return self.filter(node, depth)
        if isinstance(node, nodes.Concat):
            return sum(self.expr(child, depth + 1) for child in node.nodes)
        if isinstance(node, nodes.CondExpr):
            self.expr(node.test, depth + 1)
            other = self.expr(node.expr2, depth + 1) if node.expr2 is not None else 0
            return max(self.expr(node.expr1, depth + 1), other)
        if isinstance(node, nodes.And | nodes.Or):  # the value is one of the operands
            return max(self.expr(node.left, depth + 1), self.expr(node.right, depth + 1))
        if isinstance(node, nodes.Not):
            self.expr(node.node, depth + 1)
            return len("False")
        if isinstance(node, nodes.Compare):
            return self.compare(node, depth)
        raise _refused(node)

    def const(self, node: nodes.Const) -> int:
        if node.value is None or isinstance(node.value, bool | int | float | str):
            return len(str(node.value).encode())
        raise _refused(node)

    def name(self, node: nodes.Name) -> int:
        if node.ctx != "load":
            raise _refused(node)
        if node.name not in self.allowed:
            known = "、".join(sorted(self.allowed)) or "（无）"
            raise TemplateProblem(f"第 {node.lineno} 行用了未知变量 {node.name}；可用：{known}")
        self.used.add(node.name)
        return _VALUE_BYTES

    def filter(self, node: nodes.Filter, depth: int) -> int:
        if node.name not in FILTERS or node.dyn_args is not None or node.dyn_kwargs is not None:
            known = "、".join(f"{n}（{label}）" for n, label in FILTERS.items() if n != "d")
            raise TemplateProblem(
                f"第 {node.lineno} 行用了不支持的过滤器「{node.name}」；可用：{known}"
            )
        inner = self.expr(node.node, depth + 1) if node.node is not None else 0
        args = [self.expr(arg, depth + 1) for arg in node.args]
        args += [self.expr(pair.value, depth + 1) for pair in node.kwargs]
        if node.name in _CASE_FILTERS:
            return inner * _CASE_GROWTH
        if node.name in ("default", "d"):
            return max([inner, *args])
        if node.name == "truncate":  # the cut text, plus the `end` marker ("..." by default)
            return inner + sum(args) + 3
        return inner

    def compare(self, node: nodes.Compare, depth: int) -> int:
        self.expr(node.expr, depth + 1)
        for operand in node.ops:
            if operand.op not in COMPARISONS:
                allowed = " ".join(COMPARISONS.values())
                raise TemplateProblem(f"第 {node.lineno} 行的比较只能用 {allowed}")
            self.expr(operand.expr, depth + 1)
        return len("False")


def _deep(node: nodes.Node, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise TemplateProblem(f"第 {node.lineno} 行嵌套超过 {MAX_DEPTH} 层")


def _refused(node: nodes.Node) -> TemplateProblem:
    label = next((text for kind, text in _REFUSED.items() if isinstance(node, kind)), None)
    what = label or f"写法 {type(node).__name__}"
    return TemplateProblem(f"第 {node.lineno} 行用了模板不支持的{what}；{ALLOWED_HELP}")
