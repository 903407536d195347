"""Admin chat commands of keyword tag rules: 列表, 新增, 测试, 删除 (audited, undoable)."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict

from bot.admin.call import AdminPart, Call, CommandError, short
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.quoting import echo
from bot.tagging.rules import RuleError, RuleMatcher, TagRule

TRIGGER_NAMES = {
    "added": "添加客户后",
    "tag": "打上标签后",
    "segment": "进入分层后",
    "schedule": "定时",
}


# -- 标签规则 ---------------------------------------------------------------------------------
async def _tag_rule(call: Call, rule_id: str) -> TagRule:
    rule = await call.ctx.services.tag_rules.get(rule_id)
    if rule is not None:
        return rule
    raise CommandError(f"没有编号为 {echo(rule_id)} 的标签规则。发送「标签规则 列表」查看。")


async def tag_rules(cmd: Parsed, call: Call) -> str:
    rules = await call.ctx.services.tag_rules.all()
    if not rules:
        return "还没有标签规则。"
    lines = [f"标签规则 {len(rules)} 条（编号 · 名称 → 标签 · 关键词）："]
    for rule in rules:
        off = "（已停用）" if not rule.enabled else ""
        words = short("、".join(rule.keywords), 40)
        lines.append(f"{rule.id} · {rule.name} → {rule.tag_group}/{rule.tag_name} · {words}{off}")
    return "\n".join(lines)


def tag_rule_added(rule: TagRule) -> Change:
    """The change `标签规则 新增` records (and `scrm-bot tags set` of a new rule with it)."""
    return Change("tagrule", rule.id, None, asdict(rule), f"新增标签规则 {rule.id}「{rule.name}」")


async def tag_rule_add(cmd: Parsed, call: Call) -> str:
    group, slash, name = cmd["tag"].partition("/")
    if not slash or not group.strip() or not name.strip():
        raise CommandError("标签要写成「标签组/标签」，例如：意向/高意向")
    keywords = list(dict.fromkeys(w for w in re.split(r"[\s,，、]+", cmd["keywords"]) if w))
    rule = TagRule("", cmd["name"], keywords, group.strip(), name.strip())
    try:
        rule = await call.ctx.services.tag_rules.save(rule)
    except RuleError as exc:
        raise CommandError(f"没有保存：{exc}") from None
    await call.session.changed("tagrule.add", tag_rule_added(rule))
    words = "、".join(rule.keywords)
    tag = f"{rule.tag_group}/{rule.tag_name}"
    return f"已新增标签规则，编号 {rule.id}：客户说到「{words}」时打上 {tag}。"


async def tag_rule_test(cmd: Parsed, call: Call) -> str:
    rules = await call.ctx.services.tag_rules.all()
    # built off the event loop, as `MatcherCache` does: up to ~0.25 s at the per-corp bounds
    matcher = await asyncio.to_thread(RuleMatcher, rules)
    matches = matcher.match(cmd["text"])
    if not matches:
        return "这句话不会触发任何标签规则。"
    lines = ["会触发："]
    for match in matches:
        rule = match.rule
        extra = f"（需 {rule.threshold} 次）" if rule.threshold > 1 else ""
        words = "、".join(match.keywords)
        lines.append(f"· {rule.name} → {rule.tag_group}/{rule.tag_name}，因为「{words}」{extra}")
    return "\n".join(lines)


async def preview_tag_rule_delete(cmd: Parsed, call: Call) -> str:
    rule = await _tag_rule(call, cmd["id"])
    return f"将删除标签规则 {rule.id}「{rule.name}」（→ {rule.tag_group}/{rule.tag_name}）"


async def tag_rule_delete(cmd: Parsed, call: Call) -> str:
    rule = await _tag_rule(call, cmd["id"])
    await call.ctx.services.tag_rules.delete(rule.id)
    await call.session.changed(
        "tagrule.delete",
        Change("tagrule", rule.id, asdict(rule), None, f"删除标签规则 {rule.id}「{rule.name}」"),
    )
    return f"已删除标签规则 {rule.id}「{rule.name}」。发送「撤销」可恢复。"


# -- SOP --------------------------------------------------------------------------------------
async def undo(change: Change, call: Call) -> str:
    if change.kind == "tagrule" and change.before is None:
        try:
            await call.ctx.services.tag_rules.delete(change.target)
        except RuleError:
            return f"已撤销：标签规则 {change.target} 已不存在，无需删除。"
        return f"已撤销：标签规则 {change.target} 已删除。"
    if change.kind == "tagrule":
        rule = TagRule.from_json(json.dumps(change.before))
        try:
            await call.ctx.services.tag_rules.save(rule)
        except RuleError as exc:
            raise CommandError(f"无法撤销：{exc}") from None
        return f"已撤销：标签规则 {rule.id}「{rule.name}」已恢复。"
    raise CommandError(f"这类改动（{change.kind}）不能撤销。")


PART = AdminPart(
    nouns=(Noun("tagrule", ("标签规则", "tagrule", "tagrules"), "标签规则"),),
    specs=(
        Spec(
            "tagrule",
            "list",
            ("列表", "list"),
            (),
            usage="标签规则 列表",
            help="列出自动打标签的规则。",
        ),
        Spec(
            "tagrule",
            "add",
            ("新增", "添加", "add"),
            ("name", "tag", "keywords"),
            usage="标签规则 新增 问价客户 | 意向/高意向 | 多少钱 价格 优惠",
            help="新增一条规则：客户消息含任一关键词就打上「标签组/标签」（更多条件用配置文件）。",
            pipe=True,
            changes=True,
        ),
        Spec(
            "tagrule",
            "test",
            ("测试", "test"),
            ("text",),
            usage="标签规则 测试 <客户的一句话>",
            help="看一句话会触发哪些标签规则。",
        ),
        Spec(
            "tagrule",
            "delete",
            ("删除", "delete"),
            ("id",),
            usage="标签规则 删除 <编号>",
            help="删除一条标签规则（要确认；可撤销）。",
            changes=True,
            destructive=True,
        ),
    ),
    executors={
        "tagrule.list": tag_rules,
        "tagrule.add": tag_rule_add,
        "tagrule.test": tag_rule_test,
        "tagrule.delete": tag_rule_delete,
    },
    previews={"tagrule.delete": preview_tag_rule_delete},
    undo={"tagrule": undo},
)
