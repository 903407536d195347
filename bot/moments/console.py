"""The console's moments page (朋友圈): every task with who has published, who can see it,
comments and likes; a form that creates a task (images picked in the form are uploaded to the
media library first) and makes it in WeCom at once; 提醒 and 取消 on each task. Creating and
cancelling are audited; a task is made in WeCom when saved, so there is nothing to take back."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.context import HandlerContext
from bot.moments.model import MomentError, MomentTask
from bot.moments.report import view
from bot.moments.runner import cancel, launch, remind, save_new
from console_web.fields import TAGID, USERID, id_list, text_field
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context, newest

_ID = re.compile(r"[0-9a-f]{6}")
_REF = re.compile(r"image-[0-9a-f]{32}")
_NUMBER = re.compile(r"[0-9]{1,9}")
page = pages_in(Path(__file__).with_name("templates"))


async def moments_page(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    shown, total = newest(await ctx.services.moments.all())
    rows = [(task, await view(ctx, task)) for task in shown]
    return page("moments.html", **base_context(request, "moments"), rows=rows, total=total)


def task_of(data: dict[str, object]) -> MomentTask:
    departments = id_list(data.get("departments", ""), "部门", _NUMBER, most=500, what="部门编号")
    return MomentTask(
        "",
        text_field(data, "name", "任务名称", 100),
        text_field(data, "text", "朋友圈文字", 3000),
        tuple(id_list(data.get("images", ""), "图片", _REF, most=400, what="图片")),
        link_title=text_field(data, "link_title", "链接标题", 100),
        link_url=text_field(data, "link_url", "链接", 2000),
        staff=tuple(id_list(data.get("staff", ""), "员工", USERID)),
        departments=tuple(int(d) for d in departments),
        tags=tuple(id_list(data.get("tags", ""), "客户标签", TAGID)),
    )


async def create(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    session = admin_session(request)
    try:
        task = await save_new(ctx, task_of(request[BODY_OF]), by=session.userid)
    except MomentError as exc:
        return said(f"没有创建：{exc}", refused=True)
    made = await launch(ctx, task) or task
    summary = f"新建朋友圈任务「{made.name}」"
    await ctx.services.audit.record(session.userid, "console", "moments.create", made.id, summary)
    if made.status != "created":
        return said(f"已保存，但企业微信没有建成：{made.error}", refused=True)
    return said(f"已新建朋友圈任务「{made.name}」（编号 {made.id}），员工将收到发表提醒")


async def act(request: web.Request) -> web.Response:
    """提醒 or 取消 one task."""
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    data = request[BODY_OF]
    task_id, action = data.get("id"), data.get("action")
    if (
        not isinstance(task_id, str)
        or not _ID.fullmatch(task_id)
        or action not in ("remind", "cancel")
    ):
        raise ConsoleError(400, "没有这个操作")
    task = await ctx.services.moments.get(task_id)
    if task is None:
        raise ConsoleError(404, "没有这个朋友圈任务")
    session = admin_session(request)
    try:
        if action == "remind":
            return said(f"已提醒 {await remind(ctx, task)} 位未发表的员工（每人每天最多一次）")
        await cancel(ctx, task)
    except MomentError as exc:
        return said(str(exc), refused=True)
    summary = f"取消朋友圈任务「{task.name}」"
    await ctx.services.audit.record(session.userid, "console", "moments.cancel", task.id, summary)
    return said(f"已取消朋友圈任务「{task.name}」，未发表的员工不能再发表")


def setup(app: web.Application) -> None:
    app.router.add_get("/moments", moments_page)
    app.router.add_post("/api/moments/create", create)
    app.router.add_post("/api/moments/act", act)


PART = ConsolePart((("moments", "朋友圈"),), setup)
