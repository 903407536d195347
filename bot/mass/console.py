"""The console's mass-send page (群发): every task with its progress, a form that previews whom
a task reaches per member (and who is left out, and why) or saves it, and a task's own page —
its WeCom tasks, results per member, who was left out — with 提醒, 暂停/继续 and 取消 run as
the admin chat commands (same checks, audit, confirmation and undo)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.context import HandlerContext
from bot.mass import actions
from bot.mass.create import preview
from bot.mass.model import MassError, MassTask, from_dict
from bot.mass.report import preview_view, task_view
from bot.mass.results import rollup
from console_web.fields import USERID, id_list, text_field
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, admin_session, said
from console_web.views import base_context, newest

_ID = re.compile(r"[0-9a-f]{6}")
_NAME = re.compile(r"[^\s]{1,64}")  # a tag (id, name or group/name), segment or channel
_NUMBER = re.compile(r"[0-9]{1,9}")
page = pages_in(Path(__file__).with_name("templates"))


async def tasks_page(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    shown, total = newest(await ctx.services.mass.all())
    rows = [(task, await rollup(ctx, task)) for task in shown]
    return page("mass.html", **base_context(request, "mass"), rows=rows, total=total)


async def task_page(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    task = await ctx.services.mass.get(request.match_info["id"])
    if task is None:
        raise web.HTTPNotFound()
    view = await task_view(ctx, task)
    return page("mass_task.html", **base_context(request, "mass"), task=task, view=view)


def _words(data: dict[str, Any], name: str, label: str) -> list[str]:
    return id_list(data.get(name, ""), label, _NAME, most=2000, what="条件")


def task_of(data: dict[str, Any]) -> MassTask:
    """The task a console form describes (checked again when saved)."""
    days = text_field(data, "added_within_days", "添加天数", 6) or "0"
    departments = id_list(data.get("departments", ""), "部门", _NUMBER, most=500, what="部门编号")
    attachments: list[dict[str, Any]] = [
        {"msgtype": "product", "product": {"id": product}}
        for product in _words(data, "products", "商品")
    ]
    code = text_field(data, "group_code", "群活码", 20)
    if code:
        attachments.append({"msgtype": "group_code", "group_code": {"id": code}})
    return from_dict(
        {
            "name": text_field(data, "name", "任务名称", 100),
            "text": text_field(data, "text", "群发内容", 5000),
            "chat_type": text_field(data, "chat_type", "发送对象", 10) or "single",
            "mode": text_field(data, "mode", "方式", 10) or "unified",
            "skip_recent": text_field(data, "skip_recent", "跳过", 10) or "none",
            "not_before": text_field(data, "not_before", "开始时间", 20).replace("T", " "),
            "attachments": attachments,
            "audience": {
                "tags_all": _words(data, "tags_all", "同时具有的标签"),
                "tags_any": _words(data, "tags_any", "具有任一的标签"),
                "segments": _words(data, "segments", "RFM 分层"),
                "channels": _words(data, "channels", "渠道"),
                "added_within_days": int(days) if days.isascii() and days.isdigit() else -1,
                "staff": id_list(data.get("staff", ""), "员工", USERID, most=4000),
                "departments": [int(d) for d in departments],
                "group_name": text_field(data, "group_name", "群名包含", 60),
            },
        }
    )


async def create(request: web.Request) -> web.Response:
    """Preview (`preview` ticked: nothing saved) or save a task; saving is audited and 撤销
    takes it back while it is not made yet."""
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    data = request[BODY_OF]
    try:
        task = task_of(data)
        if data.get("preview") is True:
            await actions.check(ctx, task)
            return said(
                _preview_text(await preview_view(ctx, task, await preview(ctx, task))), stay=True
            )
        saved = await actions.save_new(ctx, task, by=admin_session(request).userid)
    except MassError as exc:
        return said(f"没有保存：{exc}", refused=True)
    change = Change("mass-task", saved.id, None, {"name": saved.name}, f"新建群发「{saved.name}」")
    await admin_session(request).changed("mass.create", change)
    when = saved.not_before or "一分钟内"
    return said(f"已保存群发「{saved.name}」（编号 {saved.id}），{when}创建企业微信群发任务")


def _preview_text(view: dict[str, Any]) -> str:
    lines = [f"共 {view['total']} 个接收对象"]
    lines += [f"· {member}：{count}" for member, count in view["per_member"].items()]
    for reason, row in view["left_out"].items():
        lines.append(f"不发送（{reason}）{row['count']} 个，如 {'、'.join(row['examples'][:5])}")
    return "\n".join(lines)


def setup(app: web.Application) -> None:
    app.router.add_get("/mass", tasks_page)
    app.router.add_get(r"/mass/{id:[0-9a-f]{6}}", task_page)
    app.router.add_post("/api/mass/create", create)


PART = ConsolePart((("mass", "群发"),), setup)
