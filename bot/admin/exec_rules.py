"""`标签规则 …` and `SOP …`: list, look at and change tag rules and SOP rules (`欢迎语 …` is in
`exec_welcome`)."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict

from bot.admin.call import Call, CommandError, short
from bot.admin.grammar import Parsed
from bot.admin.session import Change
from bot.quoting import echo
from bot.sop.rules import SopError, SopRule
from bot.sop.store import SopStore
from bot.tagging.rules import RuleError, RuleMatcher, TagRule
from bot.tagging.store import TagRuleStore

TRIGGER_NAMES = {
    "added": "添加客户后",
    "tag": "打上标签后",
    "segment": "进入分层后",
    "schedule": "定时",
}


# -- 标签规则 ---------------------------------------------------------------------------------
async def _tag_rule(call: Call, rule_id: str) -> TagRule:
    rule = await TagRuleStore(call.ctx.redis, call.ctx.keys).get(rule_id)
    if rule is not None:
        return rule
    raise CommandError(f"没有编号为 {echo(rule_id)} 的标签规则。发送「标签规则 列表」查看。")


async def tag_rules(cmd: Parsed, call: Call) -> str:
    rules = await TagRuleStore(call.ctx.redis, call.ctx.keys).all()
    if not rules:
        return "还没有标签规则。"
    lines = [f"标签规则 {len(rules)} 条（编号 · 名称 → 标签 · 关键词）："]
    for rule in rules:
        off = "（已停用）" if not rule.enabled else ""
        words = short("、".join(rule.keywords), 40)
        lines.append(f"{rule.id} · {rule.name} → {rule.tag_group}/{rule.tag_name} · {words}{off}")
    return "\n".join(lines)


async def tag_rule_add(cmd: Parsed, call: Call) -> str:
    group, slash, name = cmd["tag"].partition("/")
    if not slash or not group.strip() or not name.strip():
        raise CommandError("标签要写成「标签组/标签」，例如：意向/高意向")
    keywords = list(dict.fromkeys(w for w in re.split(r"[\s,，、]+", cmd["keywords"]) if w))
    rule = TagRule("", cmd["name"], keywords, group.strip(), name.strip())
    try:
        rule = await TagRuleStore(call.ctx.redis, call.ctx.keys).save(rule)
    except RuleError as exc:
        raise CommandError(f"没有保存：{exc}") from None
    await call.session.changed(
        "tagrule.add",
        Change("tagrule", rule.id, None, asdict(rule), f"新增标签规则 {rule.id}「{rule.name}」"),
    )
    words = "、".join(rule.keywords)
    tag = f"{rule.tag_group}/{rule.tag_name}"
    return f"已新增标签规则，编号 {rule.id}：客户说到「{words}」时打上 {tag}。"


async def tag_rule_test(cmd: Parsed, call: Call) -> str:
    rules = await TagRuleStore(call.ctx.redis, call.ctx.keys).all()
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
    await TagRuleStore(call.ctx.redis, call.ctx.keys).delete(rule.id)
    await call.session.changed(
        "tagrule.delete",
        Change("tagrule", rule.id, asdict(rule), None, f"删除标签规则 {rule.id}「{rule.name}」"),
    )
    return f"已删除标签规则 {rule.id}「{rule.name}」。发送「撤销」可恢复。"


# -- SOP --------------------------------------------------------------------------------------
async def sops(cmd: Parsed, call: Call) -> str:
    rules = await SopStore(call.ctx.redis, call.ctx.keys).all()
    if not rules:
        return "还没有 SOP 规则（用 scrm-bot sop set 或配置文件导入）。"
    lines = [f"SOP {len(rules)} 条（编号 · 名称 · 触发 · 步骤 · 状态）："]
    for rule in rules:
        state = "进行中" if rule.enabled else "已暂停"
        trigger = TRIGGER_NAMES.get(rule.trigger, rule.trigger)
        lines.append(f"{rule.id} · {rule.name} · {trigger} · {len(rule.steps)} 步 · {state}")
    return "\n".join(lines)


async def _set_enabled(call: Call, rule_id: str, enabled: bool) -> SopRule:
    try:
        return await SopStore(call.ctx.redis, call.ctx.keys).set_enabled(
            rule_id, enabled, call.admin
        )
    except SopError as exc:
        raise CommandError(f"{exc}。发送「SOP 列表」查看编号。") from None


async def _switch(call: Call, rule_id: str, enabled: bool) -> SopRule:
    """Pause or resume, recording the state it really had before (undo puts that back)."""
    before = await SopStore(call.ctx.redis, call.ctx.keys).get(rule_id)
    rule = await _set_enabled(call, rule_id, enabled)
    was = before.enabled if before is not None else not enabled
    verb = "恢复" if enabled else "暂停"
    await call.session.changed(
        f"sop.{'resume' if enabled else 'pause'}",
        Change(
            "sop",
            rule.id,
            {"enabled": was},
            {"enabled": enabled},
            f"{verb} SOP {rule.id}「{rule.name}」",
        ),
    )
    return rule


async def sop_pause(cmd: Parsed, call: Call) -> str:
    rule = await _switch(call, cmd["id"], False)
    return f"已暂停 SOP {rule.id}「{rule.name}」：暂停期间到期的步骤不会发送。"


async def sop_resume(cmd: Parsed, call: Call) -> str:
    rule = await _switch(call, cmd["id"], True)
    return f"已恢复 SOP {rule.id}「{rule.name}」。"


# -- 撤销 -------------------------------------------------------------------------------------
async def undo(change: Change, call: Call) -> str:
    if change.kind == "tagrule" and change.before is None:
        try:
            await TagRuleStore(call.ctx.redis, call.ctx.keys).delete(change.target)
        except RuleError:
            return f"已撤销：标签规则 {change.target} 已不存在，无需删除。"
        return f"已撤销：标签规则 {change.target} 已删除。"
    if change.kind == "tagrule":
        rule = TagRule.from_json(json.dumps(change.before))
        try:
            await TagRuleStore(call.ctx.redis, call.ctx.keys).save(rule)
        except RuleError as exc:
            raise CommandError(f"无法撤销：{exc}") from None
        return f"已撤销：标签规则 {rule.id}「{rule.name}」已恢复。"
    if change.kind == "sop":
        enabled = bool((change.before or {}).get("enabled"))
        sop = await _set_enabled(call, change.target, enabled)
        return f"已撤销：SOP {sop.id}「{sop.name}」已{'恢复' if enabled else '暂停'}。"
    raise CommandError(f"这类改动（{change.kind}）不能撤销。")
