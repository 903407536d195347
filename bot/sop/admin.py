"""Admin chat commands of SOP rules: 列表, 暂停, 恢复 (each audited and undoable)."""

from __future__ import annotations

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.sop.console import undo_rule
from bot.sop.rules import TRIGGER_NAMES, SopError, SopRule


# -- 标签规则 ---------------------------------------------------------------------------------
async def sops(cmd: Parsed, call: Call) -> str:
    rules = await call.ctx.services.sops.all()
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
        return await call.ctx.services.sops.set_enabled(rule_id, enabled, call.admin)
    except SopError as exc:
        raise CommandError(f"{exc}。发送「SOP 列表」查看编号。") from None


async def _switch(call: Call, rule_id: str, enabled: bool) -> SopRule:
    """Pause or resume, recording the state it really had before (undo puts that back)."""
    before = await call.ctx.services.sops.get(rule_id)
    rule = await _set_enabled(call, rule_id, enabled)
    was = before.enabled if before is not None else not enabled
    await call.session.changed(f"sop.{'resume' if enabled else 'pause'}", sop_switched(rule, was))
    return rule


def sop_switched(rule: SopRule, was: bool) -> Change:
    """The change `SOP 暂停` / `恢复` records (and `scrm-bot sop pause` / `resume` with it)."""
    verb = "恢复" if rule.enabled else "暂停"
    summary = f"{verb} SOP {rule.id}「{rule.name}」"
    return Change("sop", rule.id, {"enabled": was}, {"enabled": rule.enabled}, summary)


async def sop_pause(cmd: Parsed, call: Call) -> str:
    rule = await _switch(call, cmd["id"], False)
    return f"已暂停 SOP {rule.id}「{rule.name}」：暂停期间到期的步骤不会发送。"


async def sop_resume(cmd: Parsed, call: Call) -> str:
    rule = await _switch(call, cmd["id"], True)
    return f"已恢复 SOP {rule.id}「{rule.name}」。"


# -- 撤销 -------------------------------------------------------------------------------------
async def undo(change: Change, call: Call) -> str:
    enabled = bool((change.before or {}).get("enabled"))
    sop = await _set_enabled(call, change.target, enabled)
    return f"已撤销：SOP {sop.id}「{sop.name}」已{'恢复' if enabled else '暂停'}。"


PART = AdminPart(
    nouns=(Noun("sop", ("SOP", "sop"), "SOP"),),
    specs=(
        Spec("sop", "list", ("列表", "list"), (), usage="SOP 列表", help="列出 SOP 规则和状态。"),
        Spec(
            "sop",
            "pause",
            ("暂停", "pause"),
            ("id",),
            usage="SOP 暂停 <编号>",
            help="暂停一条 SOP：暂停期间到期的步骤不发送。",
            changes=True,
        ),
        Spec(
            "sop",
            "resume",
            ("恢复", "启用", "resume"),
            ("id",),
            usage="SOP 恢复 <编号>",
            help="恢复一条暂停的 SOP。",
            changes=True,
        ),
    ),
    executors={"sop.list": sops, "sop.pause": sop_pause, "sop.resume": sop_resume},
    undo={"sop": undo, "sop-rule": undo_rule},  # sop-rule: the console's saves and deletions
)
