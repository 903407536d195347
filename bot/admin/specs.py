"""The admin commands that belong to no feature (统计, 审计, 撤销, 确认, 下一页, 帮助), and the
grammar of all commands: these plus every feature's (from its record in `bot.features`), the one
source for the parser, `帮助` and docs/admin-commands.md."""

from __future__ import annotations

import functools

from bot.admin.grammar import Grammar, Noun, Spec

CORE_NOUNS = (
    Noun("stats", ("统计", "stats"), "统计"),
    Noun("audit", ("审计", "audit"), "审计"),
    Noun("undo", ("撤销", "undo"), "撤销"),
    Noun("confirm", ("确认", "confirm"), "确认"),
    Noun("next", ("下一页", "next"), "下一页"),
    Noun("help", ("帮助", "help", "?", "？"), "帮助"),
)
CORE_SPECS = (
    Spec(
        "stats",
        "",
        ("统计",),
        ("days",),
        optional=1,
        usage="统计 [天数]",
        help="最近几天（默认 7 天）的新增、流失、净增和 SOP 完成情况。",
    ),
    Spec(
        "audit",
        "",
        ("审计",),
        ("count",),
        optional=1,
        usage="审计 [条数]",
        help="最近的配置改动：谁、什么时候、改了什么。",
    ),
    Spec("undo", "", ("撤销",), (), usage="撤销", help="撤销您最近的一次改动。"),
    Spec(
        "confirm",
        "",
        ("确认",),
        ("code",),
        usage="确认 <确认码>",
        help="确认一个删除或替换操作（确认码 2 分钟内有效，错 5 次作废）。",
    ),
    Spec("next", "", ("下一页",), (), usage="下一页", help="长列表的下一页。"),
    Spec(
        "help",
        "",
        ("帮助",),
        ("topic",),
        optional=1,
        usage="帮助 [命令]",
        help="全部命令，或一个命令的用法。",
    ),
)


@functools.cache
def grammar() -> Grammar:
    """Every command: the features' first (in their records' order), then the core ones. Built
    on first use: the feature records import the handlers, which import this module."""
    from bot.features import admin_parts

    parts = admin_parts()
    nouns = [noun for part in parts for noun in part.nouns] + list(CORE_NOUNS)
    specs = [spec for part in parts for spec in part.specs] + list(CORE_SPECS)
    return Grammar(nouns, specs)


def all_specs() -> list[Spec]:
    return [spec for specs in grammar().specs.values() for spec in specs]


def help_text(topic: str = "") -> str:
    """All commands (no topic), or the usage and help of one noun's commands."""
    if topic:
        noun = grammar().noun_of(topic)
        if noun is None:
            return f"没有「{topic}」这个命令。发送「帮助」看全部命令。"
        lines = [f"【{noun.title}】"]
        for spec in grammar().specs[noun.name]:
            lines.append(f"· {spec.usage}\n  {spec.help}")
        return "\n".join(lines)
    lines = ["管理命令（发送「帮助 话术」等看详细用法）："]
    for noun in grammar().nouns.values():
        verbs = "、".join(s.words[0] for s in grammar().specs[noun.name] if s.verb)
        lines.append(f"· {noun.title}" + (f"：{verbs}" if verbs else ""))
    lines.append("英文别名也可用，例如 script add / word test / help。")
    return "\n".join(lines)
