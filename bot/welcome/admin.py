"""`欢迎语 …`: list, look at, add and change welcome templates by chat.

A template applies to one scope: 默认 (the default), 渠道 <state> (a channel code's State),
员工 <userid> or 部门 <department id>, one template per scope. Time slots and attachments are
set up with `scrm-bot welcome` or a configuration file; chat commands handle the main text.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.quoting import echo
from bot.welcome.console import undo_channel
from bot.welcome.console_group import undo_group_welcome
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import SCOPE_NAMES, TemplateError, WelcomeTemplate, scope_label

SCOPE_WORDS = {
    **{name: scope for scope, name in SCOPE_NAMES.items()},
    **{scope: scope for scope in SCOPE_NAMES},
}
TARGETS = {"channel": "渠道的 state", "staff": "员工的账号", "department": "部门 ID"}
SCOPE_HINT = (
    "范围写成：默认、渠道 <state>、员工 <账号> 或 部门 <部门ID>，"
    "例如：欢迎语 新增 渠道 live2024 | 直播渠道 | 欢迎从直播间来的朋友！"
)
_SPACE = re.compile(r"[ \t\u3000]+")


def _store(call: Call) -> WelcomeStore:
    return call.ctx.services.welcomes


async def _template(call: Call, template_id: str) -> WelcomeTemplate:
    template = await _store(call).get(template_id)
    if template is None:
        raise CommandError(f"没有编号为 {echo(template_id)} 的欢迎语。发送「欢迎语 列表」查看。")
    return template


def scope_of(text: str) -> tuple[str, str]:
    """(scope, target) from 「默认」「渠道 live2024」「员工 zhangsan」「部门 7」 (or English)."""
    kind, *rest = _SPACE.split(text.strip(), maxsplit=1)
    target = rest[0].strip() if rest else ""
    scope = SCOPE_WORDS.get(kind.lower())
    if scope is None:
        raise CommandError(f"「{kind}」不是欢迎语的范围。{SCOPE_HINT}")
    if scope == "default" and target:
        raise CommandError(f"默认欢迎语不用写对象。{SCOPE_HINT}")
    if scope != "default" and not target:
        raise CommandError(f"「{kind}」后面要写{TARGETS[scope]}。{SCOPE_HINT}")
    if _SPACE.search(target):
        raise CommandError(f"{TARGETS[scope]}不能含空格。{SCOPE_HINT}")
    return scope, target


async def welcomes(cmd: Parsed, call: Call) -> str:
    templates = await _store(call).list()
    if not templates:
        return "还没有欢迎语模板。"
    lines = [f"欢迎语 {len(templates)} 个（编号 · 范围 · 名称 · 开头）："]
    for t in templates:
        lines.append(f"{t.id} · {scope_label(t)} · {t.name} · {call.quote(t.text, 30)}")
    return "\n".join(lines)


async def welcome_show(cmd: Parsed, call: Call) -> str:
    t = await _template(call, cmd["id"])
    parts = [f"欢迎语 {t.id}「{t.name}」· {scope_label(t)}", call.quote(t.text)]
    if t.slots:
        parts.append(f"另有 {len(t.slots)} 个时段版本（用 scrm-bot welcome 查看）")
    if t.attachments:
        parts.append(f"附件 {len(t.attachments)} 个")
    return "\n".join(parts)


async def _save_template(call: Call, template: WelcomeTemplate) -> WelcomeTemplate:
    try:
        return await _store(call).save(template, await call.guard())
    except TemplateError as exc:
        raise CommandError(f"没有保存：{exc}") from None


def welcome_changed(before: WelcomeTemplate | None, after: WelcomeTemplate) -> Change:
    """The change `欢迎语 新增` / `修改` records (and `scrm-bot welcome set` with it)."""
    verb = "修改" if before else "新增"
    return Change(
        "welcome",
        after.id,
        json.loads(before.to_json()) if before else None,
        json.loads(after.to_json()),
        f"{verb}欢迎语 {after.id}「{after.name}」",
    )


async def welcome_add(cmd: Parsed, call: Call) -> str:
    scope, target = scope_of(cmd["scope"])
    holder = await _store(call).choose_exact(scope, target)
    if holder is not None:
        raise CommandError(
            f"{scope_label(holder)} 已有欢迎语 {holder.id}「{holder.name}」，每个范围只能有一个。"
            f"要换内容请发：欢迎语 修改 {holder.id} <新内容>"
        )
    template = WelcomeTemplate("", cmd["name"], scope, target, cmd["text"])
    t = await _save_template(call, template)
    await call.session.changed("welcome.add", welcome_changed(None, t))
    return f"已新增欢迎语，编号 {t.id}\n{scope_label(t)} · {t.name}\n{call.quote(t.text, 120)}"


async def welcome_edit(cmd: Parsed, call: Call) -> str:
    before = await _template(call, cmd["id"])
    after = await _save_template(call, replace(before, text=cmd["text"]))
    await call.session.changed("welcome.edit", welcome_changed(before, after))
    return f"已修改欢迎语 {after.id}「{after.name}」。发送「撤销」可改回。"


async def undo(change: Change, call: Call) -> str:
    """Delete an added template, or put an edited one back (checked like any save)."""
    if change.before is None:
        if not await _store(call).delete(change.target):
            return f"已撤销：欢迎语 {change.target} 已不存在，无需删除。"
        return f"已撤销：欢迎语 {change.target} 已删除。"
    template = WelcomeTemplate.from_json(json.dumps(change.before))
    await _save_template(call, template)
    return f"已撤销：欢迎语 {template.id} 已改回。"


PART = AdminPart(
    nouns=(Noun("welcome", ("欢迎语", "welcome"), "欢迎语"),),
    specs=(
        Spec(
            "welcome",
            "list",
            ("列表", "list"),
            (),
            usage="欢迎语 列表",
            help="列出欢迎语模板和它们的适用范围。",
        ),
        Spec(
            "welcome",
            "show",
            ("查看", "show"),
            ("id",),
            usage="欢迎语 查看 <编号>",
            help="看一个欢迎语模板的全文。",
        ),
        Spec(
            "welcome",
            "add",
            ("新增", "添加", "add"),
            ("scope", "name", "text"),
            usage="欢迎语 新增 渠道 live2024 | 直播渠道 | 欢迎从直播间来的朋友！",
            help=(
                "新增欢迎语：范围（默认，或 渠道 <state>、员工 <账号>、部门 <部门ID>）"
                "| 名称 | 内容；每个范围一个；可撤销。"
            ),
            pipe=True,
            changes=True,
        ),
        Spec(
            "welcome",
            "edit",
            ("修改", "edit"),
            ("id", "text"),
            usage="欢迎语 修改 <编号> <新内容>",
            help=(
                "改欢迎语的文字；可撤销。含客户称呼变量的模板还需不含称呼的版本，"
                "请用 scrm-bot welcome 修改。"
            ),
            changes=True,
        ),
    ),
    executors={
        "welcome.list": welcomes,
        "welcome.show": welcome_show,
        "welcome.add": welcome_add,
        "welcome.edit": welcome_edit,
    },
    # channels and group welcomes change in the console
    undo={"welcome": undo, "channel": undo_channel, "group-welcome": undo_group_welcome},
)
