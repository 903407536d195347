"""Admin chat commands of inheritance: 继承 待分配 (resigned members' waiting customers),
继承 分配 <离职员工> <接替员工…> (their customers and groups in turn among the takers; confirmed
with a code first, audited; WeCom can't take it back) and 继承 查看 <编号>."""

from __future__ import annotations

from collections import Counter

from bot.admin.call import AdminPart, Call, CommandError, Confirmation
from bot.admin.grammar import Noun, Parsed, Spec
from bot.inheritance.report import view
from bot.inheritance.runner import InheritError, start
from bot.quoting import echo
from bot.storage.locks import RedisLock


async def waiting(cmd: Parsed, call: Call) -> str:
    rows = await call.ctx.wecom.transfer.unassigned()
    per = Counter(str(r.get("handover_userid", "")) for r in rows)
    if not per:
        return "没有待分配的离职员工客户。"
    names = call.ctx.services.names
    lines = ["离职员工待分配的客户："]
    lines += [f"· {await names.staff_for_admins(m)}：{n} 位" for m, n in per.most_common(20)]
    lines.append("发送「继承 分配 <离职员工> <接替员工…>」轮流分配给在职员工。")
    return "\n".join(lines)


def _parts(cmd: Parsed) -> tuple[str, list[str]]:
    takers = [t for t in cmd["takers"].split() if t]
    if not takers:
        raise CommandError("请写上接替的员工账号，例如：继承 分配 zhangsan lisi wangwu")
    return cmd["handover"], takers


async def preview_assign(cmd: Parsed, call: Call) -> Confirmation:
    handover, takers = _parts(cmd)
    rows = await call.ctx.wecom.transfer.unassigned()
    count = sum(1 for r in rows if r.get("handover_userid") == handover)
    if not count:
        raise CommandError(f"{echo(handover)} 没有待分配的客户（不是离职员工，或已分配完）")
    groups = len(await call.ctx.wecom.external_contact.group_chats([handover]))
    to = "、".join(takers)
    return Confirmation(
        f"将把 {echo(handover)} 的 {count} 位客户、{groups} 个客户群轮流分配给 {to}：无法撤销"
    )


async def assign_now(cmd: Parsed, call: Call) -> str:
    handover, takers = _parts(cmd)
    ctx = call.ctx
    try:
        async with RedisLock(ctx.redis, ctx.keys.inherit_lock, ttl=600, wait=30):
            made = await start(ctx, "resigned", handover, takers, "round_robin", by=call.admin)
    except InheritError as exc:
        raise CommandError(str(exc)) from None
    summary = f"离职继承：{handover} → {'、'.join(takers)}"
    await ctx.services.audit.record(call.admin, "chat", "inherit.start", made.id, summary)
    return (
        f"已开始继承（编号 {made.id}）：客户 24 小时后完成接替。发送「继承 查看 {made.id}」看进度。"
    )


async def show(cmd: Parsed, call: Call) -> str:
    handover = await call.ctx.services.inheritance.get(cmd["id"])
    if handover is None:
        raise CommandError(f"没有编号为 {echo(cmd['id'])} 的继承记录")
    seen = await view(call.ctx, handover)
    lines = [f"继承 {seen['id']}（{seen['kind']}，{seen['from_name']}，{seen['rule']}）"]
    for who, counts in seen["customers"].items():
        lines.append(f"· {who}：" + "，".join(f"{k} {n}" for k, n in counts.items()))
    if seen["groups"]:
        lines.append("客户群：" + "，".join(f"{k} {n}" for k, n in seen["groups"].items()))
    return "\n".join(lines)


PART = AdminPart(
    nouns=(Noun("inherit", ("继承", "inherit"), "继承"),),
    specs=(
        Spec(
            "inherit",
            "waiting",
            ("待分配", "waiting"),
            (),
            usage="继承 待分配",
            help="离职员工待分配的客户数。",
        ),
        Spec(
            "inherit",
            "assign",
            ("分配", "assign"),
            ("handover", "takers"),
            usage="继承 分配 <离职员工> <接替员工…>",
            help="把离职员工的客户和客户群轮流分配给在职员工（需确认，不能撤销）。",
            destructive=True,
        ),
        Spec(
            "inherit",
            "show",
            ("查看", "show"),
            ("id",),
            usage="继承 查看 <编号>",
            help="一次继承的进度：各接替员工的客户结果和客户群。",
        ),
    ),
    executors={"inherit.waiting": waiting, "inherit.assign": assign_now, "inherit.show": show},
    previews={"inherit.assign": preview_assign},
)
