"""The console's group-welcome page (入群欢迎语): every template with the groups it greets and
its counts; create, edit and delete, in WeCom first and then here (`GroupWelcomeStore`, the same
checks as `scrm-bot group-welcome set`): the text with %NICKNAME%, and one attachment (an image
uploaded here, or a link). Audited as made in the console; 撤销 takes a change back."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from aiohttp import web

from bot.admin.call import Call, CommandError
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.typed_input import InputProblems, build
from bot.wecom import WeComError
from bot.welcome.group import GroupWelcome
from bot.welcome.templates import TemplateError
from console_web.pages import page
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

KEPT_BY_STORE = frozenset({"template_id", "updated_at"})


async def group_welcomes_page(request: web.Request) -> web.Response:
    store = request.config_dict[HANDLER_CONTEXT].services.group_welcomes
    greetings = await store.greetings()
    rows = []
    for welcome in await store.list():
        chats = sorted(chat for chat, wid in greetings.items() if wid == welcome.id)
        rows.append((welcome, ["所有群" if c == "*" else c for c in chats], _editable(welcome)))
    return page("group_welcomes.html", **base_context(request, "group-welcomes"), rows=rows)


def _editable(welcome: GroupWelcome) -> dict[str, Any]:
    return {k: v for k, v in asdict(welcome).items() if k not in KEPT_BY_STORE}


async def save(request: web.Request) -> web.Response:
    raw = request[BODY_OF].get("welcome")
    if not isinstance(raw, dict):
        raise ConsoleError(400, "请填写入群欢迎语")
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.group_welcomes
    try:
        welcome = build(GroupWelcome, raw, defaults={"id": ""}, ignored=KEPT_BY_STORE)
    except InputProblems as exc:
        return said(f"没有保存：{exc}", refused=True)
    before = await store.get(welcome.id) if welcome.id else None
    session = admin_session(request)
    try:
        saved = await store.save(welcome, await Call(ctx, session).guard())
    except TemplateError as exc:
        return said(f"没有保存：{exc}", refused=True)
    except WeComError as exc:
        return said(f"没有保存：企业微信返回错误码 {exc.errcode}：{exc.explanation}", refused=True)
    verb = "修改" if before else "新增"
    await session.changed(
        "group-welcome.edit" if before else "group-welcome.add",
        Change(
            "group-welcome",
            saved.id,
            _editable(before) if before else None,
            _editable(saved),
            f"{verb}入群欢迎语 {saved.id}「{saved.name}」",
        ),
    )
    return said(f"已保存入群欢迎语「{saved.name}」（已同步到企业微信）")


async def delete(request: web.Request) -> web.Response:
    welcome_id = request[BODY_OF].get("id")
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.group_welcomes
    before = await store.get(welcome_id) if isinstance(welcome_id, str) else None
    if before is None:
        raise ConsoleError(404, "没有这条入群欢迎语（可能已被删除）")
    try:
        await store.delete(before.id)
    except TemplateError as exc:
        return said(f"没有删除：{exc}", refused=True)
    except WeComError as exc:
        return said(f"没有删除：企业微信返回错误码 {exc.errcode}：{exc.explanation}", refused=True)
    session = admin_session(request)
    summary = f"删除入群欢迎语 {before.id}「{before.name}」"
    change = Change("group-welcome", before.id, _editable(before), None, summary)
    await session.changed("group-welcome.delete", change)
    return said(f"已删除入群欢迎语「{before.name}」。可在审计日志页「撤销」恢复。")


async def undo_group_welcome(change: Change, call: Call) -> str:
    """撤销: a new one deleted, an edited one put back, a deleted one made again in WeCom."""
    store = call.ctx.services.group_welcomes
    try:
        if change.before is None:
            await store.delete(change.target)
            return f"已撤销：删除了入群欢迎语 {change.target}"
        before = GroupWelcome(**change.before)
        if await store.get(change.target) is None:  # deleted: WeCom makes it anew
            before = replace(before, id="")
        saved = await store.save(before, await call.guard())
    except (TemplateError, WeComError) as exc:
        raise CommandError(f"入群欢迎语 {change.target} 无法恢复：{exc}") from None
    return f"已撤销：入群欢迎语「{saved.name}」已恢复"


def setup(app: web.Application) -> None:
    app.router.add_get("/group-welcomes", group_welcomes_page)
    app.router.add_post("/api/group-welcomes/save", save)
    app.router.add_post("/api/group-welcomes/delete", delete)
