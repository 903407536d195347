"""Admin chat commands of group live codes: 群活码 列表 and 群活码 查看 <编号> (a quick look from
the phone); codes are made and changed in the console or with `scrm-bot group-codes`. 撤销
takes back a console change (`group-code`)."""

from __future__ import annotations

import json

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.clock import corp_now
from bot.group_codes.codes import QR_GROUP_LIMIT, GroupCode, GroupCodeError
from bot.group_codes.report import percent, report
from bot.quoting import echo
from bot.wecom import WeComError


async def codes(cmd: Parsed, call: Call) -> str:
    found = await call.ctx.services.group_codes.list()
    if not found:
        return "还没有群活码。在管理后台「群活码」页新建。"
    lines = [f"群活码 {len(found)} 个（编号 · 名称 · 群数）："]
    for code in found:
        auto = "，满后自动建群" if code.auto_create else ""
        lines.append(f"{code.id} · {code.name} · {len(code.chat_ids)} 个群{auto}")
    lines.append("发送「群活码 查看 <编号>」看人数和入群统计。")
    return "\n".join(lines)


async def code_show(cmd: Parsed, call: Call) -> str:
    code = await call.ctx.services.group_codes.get(cmd["id"])
    if code is None:
        raise CommandError(f"没有编号为 {echo(cmd['id'])} 的群活码。发送「群活码 列表」查看。")
    ctx = call.ctx
    found = await report(
        code, ctx.services.group_code_stats, ctx.wecom.external_contact, corp_now().date()
    )
    lines = [f"群活码 {code.id}「{code.name}」"]
    if found.fill_error:
        lines.append(f"群人数暂时读不到：{found.fill_error}")
    for group in found.groups:
        made = "（自动新建）" if group.created else ""
        lines.append(f"· {group.name or '未命名群'}{made}：{group.members}/{QR_GROUP_LIMIT}")
    if found.all_full:
        lines.append("⚠ 所有群都已满且未开启自动建群，新客户扫码将无法入群。")
    for span in found.spans:
        lines.append(
            f"近 {span.days} 天：入群 {span.joins}，退群 {span.leaves}，净增 {span.net}，"
            f"留存率 {percent(span.retention)}"
        )
    return "\n".join(lines)


async def undo_group_code(change: Change, call: Call) -> str:
    """撤销 of a group live code change: put it back as it was (a deleted one gets a new QR
    code: WeCom can't revive the old one)."""
    store = call.ctx.services.group_codes
    current = await store.get(change.target)
    try:
        if change.before is None:  # it was created: delete it
            if current is not None:
                await store.delete(current.id)
            return f"已撤销：删除了群活码 {change.target}"
        before = GroupCode.from_json(json.dumps(change.before, ensure_ascii=False))
        if current is None:
            before.config_id = before.qr_code = ""  # the same id, so its numbers carry on
            await store.create(before)
            return f"已撤销：恢复了群活码「{before.name}」（新二维码，请重新下载印刷）"
        await store.update(before)
        return f"已撤销：群活码「{before.name}」恢复为修改前"
    except (GroupCodeError, WeComError) as exc:
        raise CommandError(f"群活码 {change.target} 无法恢复：{exc}") from None


PART = AdminPart(
    nouns=(Noun("groupcode", ("群活码", "groupcode", "groupcodes"), "群活码"),),
    specs=(
        Spec(
            "groupcode",
            "list",
            ("列表", "list"),
            (),
            usage="群活码 列表",
            help="列出群活码（新建和修改在管理后台或 scrm-bot group-codes）。",
        ),
        Spec(
            "groupcode",
            "show",
            ("查看", "show"),
            ("id",),
            usage="群活码 查看 <编号>",
            help="一个群活码的群人数、自动新建的群，以及近 7 天和 30 天的入群、退群、留存。",
        ),
    ),
    executors={"groupcode.list": codes, "groupcode.show": code_show},
    undo={"group-code": undo_group_code},
)
