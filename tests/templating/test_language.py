"""The template language: what operators may write renders, everything unbounded is refused
with a Chinese message naming it, before Jinja compiles it, and nothing renders past its bound."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.templating import (
    MAX_OUTPUT_BYTES,
    MAX_VALUE_CHARS,
    compile_checked,
    plain_text,
    render,
    render_or_plain,
    text_problem,
)

VARIABLES = ("customer_name", "staff_name", "channel_name", "date")
VALUES = {"customer_name": "欧丽芙", "staff_name": "张三", "channel_name": "春季海报"}


def problem(text: str) -> str | None:
    return text_problem(text, VARIABLES, 4000, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ customer_name }}您好", "欧丽芙您好"),
        ("{{ date|default('今天') }}", "今天"),
        ("{{ customer_name|truncate(4, true, '…') }}", "欧丽芙"),
        ("{{ ' x '|trim|upper }}", "X"),
        ("{% if customer_name %}{{ customer_name }}{% else %}朋友{% endif %}", "欧丽芙"),
        ("{% if channel_name == '春季海报' %}春{% elif date %}日{% else %}无{% endif %}", "春"),
        ("{% if '丽' in customer_name and not date %}丽{% endif %}", "丽"),
        ("{{ staff_name ~ '为您服务' if staff_name else '' }}", "张三为您服务"),
        ("{# 备注 #}{% raw %}{{ 原样 }}{% endraw %}", "{{ 原样 }}"),
    ],
)
def test_what_operators_write_renders(text: str, expected: str) -> None:
    assert problem(text) is None
    assert render(text, VALUES) == expected


BOMBS = [
    # the review's inputs: nested loops, a deferred bomb, constant folding, and their cousins
    (
        "{% for i in range(10**5) %}{% for j in range(1000) %}{{ 'x'*30000 }}{% endfor %}{% endfor %}",
        "循环（for）",
    ),
    ("{% if staff_name != '示例' %}{{ 'x' * 100000 }}{% endif %}", "算术运算"),
    ("{{ 'a' * 100000000 }}", "算术运算"),
    ("{{ '%s' % customer_name }}", "算术运算"),
    ("{{ range(10**9)|join }}", "过滤器「join」"),
    ("{{ range(10**9) }}", "函数调用"),
    ("{{ 'x'|center(100000000) }}", "过滤器「center」"),
    ("{{ '价低最网全'|reverse }}", "过滤器「reverse」"),
    ("{{ '全网最%s价'|format('低') }}", "过滤器「format」"),
    ("{{ customer_name|replace('', 'xxxxxxxx') }}", "过滤器「replace」"),
    ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "宏（macro）"),
    ("{% set x = 'a' %}{{ x }}", "赋值（set）"),
    ("{{ customer_name.__class__.__mro__ }}", "属性访问"),
    ("{{ customer_name[0] }}", "下标访问"),
    ("{{ [1, 2] }}", "列表或字典"),
    ("{{ customer_name is defined }}", "is 判断"),
    ("{% include 'x' %}", "引用其他模板"),
    ("{{ customer_name < 'a' }}", "比较只能用"),
    ("{{ phone }}", "未知变量 phone"),
    ("{{" + "customer_name~" * 200 + "date }}", "超过 64 KiB 上限"),
    ("{{ " + "customer_name|upper" + "|trim" * 60 + " }}", "嵌套超过"),
]


@pytest.mark.parametrize(("text", "named"), BOMBS)
def test_every_unbounded_construct_is_refused_at_save_naming_it(text: str, named: str) -> None:
    reason = problem(text)
    assert reason is not None and named in reason, reason
    assert len(reason) < 500  # the reason names the construct; it never echoes the template


@pytest.mark.parametrize(("text", "named"), BOMBS)
def test_a_stored_bomb_renders_its_plain_text_at_send(text: str, named: str) -> None:
    assert render_or_plain(f"欢迎{text}光临", VALUES) == f"欢迎{plain_text(text)}光临"


def test_a_folded_constant_is_refused_before_it_is_built() -> None:
    # Jinja folds 'a' * N while compiling: the check must come before, or the save allocates N
    tracemalloc.start()
    try:
        reason = problem("{{ 'a' * 200000000 }}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason is not None and "算术运算" in reason
    assert peak < 20 * 1024 * 1024


def test_values_are_cut_and_the_output_stays_under_its_bound() -> None:
    text = "{{ customer_name|upper }}" * 40
    bound = compile_checked(text).max_output_bytes
    out = render(text, {"customer_name": "ß" * 10_000})  # upper() doubles ß
    assert len(out) == 40 * 2 * MAX_VALUE_CHARS
    assert len(out.encode()) <= bound <= MAX_OUTPUT_BYTES


def test_plain_text_drops_tags_and_keeps_an_open_one() -> None:
    assert plain_text("你好{{ customer_name }}，{% if x %}再见{% endif %}{# 注 #}") == "你好，再见"
    assert plain_text("价格{1}元{{ 没有收尾") == "价格{1}元{{ 没有收尾"
    opened = "{{" * 20_000  # one pass: each opener's search for "}}" isn't repeated
    assert plain_text(opened) == opened[: len(plain_text(opened))]


PIECES = st.sampled_from(
    [
        "{{ customer_name }}",
        "{{ staff_name|upper }}",
        "{{ date|default('今天') }}",
        "{{ channel_name|truncate(5) }}",
        "{{ customer_name ~ staff_name }}",
        "{% if customer_name %}",
        "{% else %}",
        "{% endif %}",
        "{{ customer_name if date else staff_name|title }}",
        "文字",
        "{",
        "}}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40), st.text(max_size=300))
def test_any_template_renders_within_its_bound_or_falls_back(pieces: list[str], value: str) -> None:
    text = "".join(pieces)
    values = dict.fromkeys(VARIABLES, value)
    out = render_or_plain(text, values)  # never raises
    if problem(text) is None:
        assert len(out.encode()) <= compile_checked(text).max_output_bytes
