"""`话术 …`: add, search, show, edit, delete, history and restore scripts by chat."""

from __future__ import annotations

from dataclasses import asdict, replace

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import Change
from bot.clock import corp_clock
from bot.quoting import echo
from scripts_library import admin_replace
from scripts_library.console_products import undo_product
from scripts_library.scripts import Script, ScriptError, ScriptStore

FIELD_NAMES = {
    "内容": "text",
    "content": "text",
    "标题": "title",
    "title": "title",
    "分类": "category",
    "category": "category",
}
LABELS = {"text": "内容", "title": "标题", "category": "分类"}
SEARCH_LIMIT = 30


def _store(call: Call) -> ScriptStore:
    return call.ctx.services.scripts


async def _existing(call: Call, script_id: str) -> Script:
    script = await _store(call).get(script_id)
    if script is None:
        raise CommandError(f"没有编号为 {echo(script_id)} 的话术。可先「话术 搜索 关键词」查编号。")
    return script


async def _save(call: Call, script: Script) -> Script:
    try:
        return await _store(call).save(script, call.admin, await call.guard())
    except ScriptError as exc:
        raise CommandError(f"没有保存：{exc}") from None


def script_added(script: Script) -> Change:
    """The change `话术 新增` records (and `scrm-bot scripts add` with it)."""
    return Change(
        "script", script.id, None, asdict(script), f"新增话术 {script.id}「{script.title}」"
    )


async def add(cmd: Parsed, call: Call) -> str:
    category = "/".join(part.strip() for part in cmd["category"].split("/"))
    script = await _save(
        call, Script(id="", category=category, title=cmd["title"], text=cmd["text"])
    )
    await call.session.changed("script.add", script_added(script))
    preview = call.quote(script.text, 120)
    return f"已新增话术，编号 {script.id}\n{script.category} · {script.title}\n{preview}"


async def search(cmd: Parsed, call: Call) -> str:
    index = call.ctx.services.script_index
    await index.refresh()
    found = index.search(
        cmd["query"], userid=call.admin, departments=[], limit=SEARCH_LIMIT, every_script=True
    )
    if not found:
        return f"没有找到和「{echo(cmd['query'])}」相关的话术。"
    lines = [f"找到 {len(found)} 条话术（编号 · 分类 · 标题）："]
    for script in found:
        off = "（已停用）" if not script.enabled else ""
        lines.append(f"{script.id} · {script.category} · {script.title}{off}")
    return "\n".join(lines)


async def show(cmd: Parsed, call: Call) -> str:
    script = await _existing(call, cmd["id"])
    when = corp_clock(script.updated_at)
    attachments = f"\n附件 {len(script.attachments)} 个" if script.attachments else ""
    return (
        f"话术 {script.id}（第 {script.version} 版，{script.updated_by} 于 {when} 修改）\n"
        f"分类：{script.category}\n标题：{call.quote(script.title)}\n"
        f"内容：\n{call.quote(script.text)}{attachments}"
    )


async def edit(cmd: Parsed, call: Call) -> str:
    before = await _existing(call, cmd["id"])
    name = FIELD_NAMES[cmd["field"]]
    value = cmd["value"]
    if name == "category":
        value = "/".join(part.strip() for part in value.split("/"))
    changed = replace(before)
    setattr(changed, name, value)
    after = await _save(call, changed)
    await call.session.changed(
        "script.edit",
        Change(
            "script",
            after.id,
            asdict(before),
            asdict(after),
            f"修改话术 {after.id} 的{LABELS[name]}",
        ),
    )
    return f"已修改话术 {after.id} 的{LABELS[name]}（现为第 {after.version} 版，可「撤销」）。"


async def preview_delete(cmd: Parsed, call: Call) -> str:
    script = await _existing(call, cmd["id"])
    return f"将删除话术 {script.id}「{script.title}」（{script.category}）"


async def delete(cmd: Parsed, call: Call) -> str:
    before = await _existing(call, cmd["id"])
    await _store(call).delete(before.id, call.admin)
    await call.session.changed(
        "script.delete",
        Change(
            "script", before.id, asdict(before), None, f"删除话术 {before.id}「{before.title}」"
        ),
    )
    return f"已删除话术 {before.id}「{before.title}」。发送「撤销」可恢复。"


async def history(cmd: Parsed, call: Call) -> str:
    current = await _store(call).get(cmd["id"])
    versions = await _store(call).history(cmd["id"])
    if current is None and not versions:
        raise CommandError(f"没有编号为 {echo(cmd['id'])} 的话术，也没有它的历史。")
    lines = [f"话术 {cmd['id']} 的版本（新的在前）："]
    if current is not None:
        quoted = f"{call.quote(current.title)} · {call.quote(current.text, 60)}"
        lines.append(f"第 {current.version} 版（当前）· {quoted}")
    for old in versions:
        when = corp_clock(old.updated_at, "%m-%d %H:%M")
        lines.append(f"第 {old.version} 版 · {when} {old.updated_by} · {call.quote(old.text, 60)}")
    lines.append(f"恢复某一版：话术 恢复 {cmd['id']} <版本>")
    return "\n".join(lines)


async def restore(cmd: Parsed, call: Call) -> str:
    if not (cmd["version"].isascii() and cmd["version"].isdigit()):
        raise CommandError("版本应是数字，例如：话术 恢复 a1b2c3d4 2")
    before = await _store(call).get(cmd["id"])
    try:
        after = await _store(call).restore(
            cmd["id"], int(cmd["version"]), call.admin, await call.guard()
        )
    except ScriptError as exc:
        raise CommandError(str(exc)) from None
    await call.session.changed(
        "script.restore",
        Change(
            "script",
            after.id,
            asdict(before) if before else None,
            asdict(after),
            f"把话术 {after.id} 恢复到第 {cmd['version']} 版",
        ),
    )
    return f"已把话术 {after.id} 恢复到第 {cmd['version']} 版的内容（现为第 {after.version} 版）。"


async def undo(change: Change, call: Call) -> str:
    """Put the script back as it was before `change`."""
    store = _store(call)
    if change.before is None:
        if await store.get(change.target) is not None:
            await store.delete(change.target, call.admin)
        return f"已撤销：话术 {change.target} 已删除。"
    script = Script.from_dict(dict(change.before))
    current = await store.get(change.target)
    script.version = current.version if current else script.version
    await _save(call, script)
    return f"已撤销：话术 {change.target} 已恢复为改动前的样子。"


SCRIPT_FIELDS = ("内容", "标题", "分类", "content", "title", "category")

PART = AdminPart(
    nouns=(Noun("script", ("话术", "script", "scripts"), "话术"),),
    specs=(
        Spec(
            "script",
            "add",
            ("新增", "添加", "add"),
            ("category", "title", "text"),
            usage="话术 新增 售后/退货 | 退货流程 | 亲，七天无理由退货…",
            help="新增一条话术：分类（用 / 分级）| 标题 | 内容（可多行）。",
            pipe=True,
            changes=True,
        ),
        Spec(
            "script",
            "search",
            ("搜索", "查找", "search"),
            ("query",),
            usage="话术 搜索 退货",
            help="按关键词搜索话术（拼音首字母也行），列出编号。",
        ),
        Spec(
            "script",
            "show",
            ("查看", "show"),
            ("id",),
            usage="话术 查看 <编号>",
            help="看一条话术的全部内容和版本。",
        ),
        Spec(
            "script",
            "edit",
            ("修改", "edit"),
            ("id", "field", "value"),
            usage="话术 修改 <编号> 内容 <新内容>",
            choices={1: SCRIPT_FIELDS},
            help="改一条话术的内容、标题或分类；旧版本留在历史里。",
            changes=True,
        ),
        Spec(
            "script",
            "delete",
            ("删除", "delete"),
            ("id",),
            usage="话术 删除 <编号>",
            help="删除一条话术（要确认；可撤销，也可从历史恢复）。",
            changes=True,
            destructive=True,
        ),
        Spec(
            "script",
            "history",
            ("历史", "history"),
            ("id",),
            usage="话术 历史 <编号>",
            help="列出一条话术的历史版本。",
        ),
        Spec(
            "script",
            "restore",
            ("恢复", "restore"),
            ("id", "version"),
            usage="话术 恢复 <编号> <版本>",
            help="把话术恢复到某个历史版本（存为新版本）。",
            changes=True,
        ),
        Spec(
            "script",
            "replace",
            ("替换", "replace"),
            ("old", "new"),
            usage="话术 替换 <旧文本> | <新文本>",
            help="把标题或内容含旧文本的话术一起改掉（要确认；每条存为新版本；一次「撤销」全部改回）。",
            pipe=True,
            changes=True,
            destructive=True,
        ),
    ),
    executors={
        "script.add": add,
        "script.search": search,
        "script.show": show,
        "script.edit": edit,
        "script.delete": delete,
        "script.history": history,
        "script.restore": restore,
        "script.replace": admin_replace.replace_text,
    },
    previews={"script.delete": preview_delete, "script.replace": admin_replace.preview},
    # product: the console's product page
    undo={"script": undo, "scripts": admin_replace.undo, "product": undo_product},
)
