"""The console's welcome editor: every template with its scope and outcomes, and an editor for
one (scope, name, text and its no-name version, time slots, attachments: images uploaded
through `console_web.media`, links and product cards) that saves through `WelcomeStore.save`,
the same checks as chat and `scrm-bot welcome set`. Saves and deletions are audited as made in
the console under the chat commands' change kind (`welcome`), so 撤销 takes them back the same
way.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict

from aiohttp import web

from bot.admin.call import Call
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.quoting import echo
from bot.typed_input import InputProblems, build
from bot.welcome.templates import SCOPE_NAMES, TemplateError, WelcomeTemplate, scope_label
from console_web.pages import page
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

_TARGET = re.compile(r"[A-Za-z0-9_:.@-]{1,64}")
OUTCOMES = (("sent", "已发送"), ("expired", "已过期"), ("failed", "失败"), ("blocked", "被拦截"))


async def welcomes_page(request: web.Request) -> web.Response:
    store = request.config_dict[HANDLER_CONTEXT].services.welcomes
    stats = await store.stats()
    rows = [
        (
            template,
            scope_label(template),
            [(name, stats.get(f"template:{template.id}:{key}", 0)) for key, name in OUTCOMES],
        )
        for template in await store.list()
    ]
    return page("welcomes.html", **base_context(request, "welcomes"), rows=rows)


async def editor_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    template_id = request.match_info["id"]
    template = None
    if template_id != "new":
        template = await ctx.services.welcomes.get(template_id)
        if template is None:
            raise web.HTTPNotFound()
    products = [{"id": p.id, "name": p.name} for p in await ctx.services.products.list()]
    codes = [{"id": c.id, "name": c.name} for c in await ctx.services.group_codes.list()]
    data = asdict(template) if template else None
    scope, target = request.query.get("scope", ""), request.query.get("target", "")
    # a new channel welcome opened from the channel page: its scope and state filled in
    prefill = (
        {"scope": scope, "target": target}
        if template is None and scope in SCOPE_NAMES and _TARGET.fullmatch(target)
        else None
    )
    return page(
        "welcome.html",
        **base_context(request, "welcomes"),
        template=template,
        data=json.dumps(data, ensure_ascii=False),
        prefill=json.dumps(prefill, ensure_ascii=False),
        products=json.dumps(products, ensure_ascii=False),
        group_codes=json.dumps(codes, ensure_ascii=False),
        scopes=list(SCOPE_NAMES.items()),
    )


async def save(request: web.Request) -> web.Response:
    raw = request[BODY_OF].get("template")
    if not isinstance(raw, dict):
        raise ConsoleError(400, "请填写欢迎语")
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.welcomes
    try:
        template = build(WelcomeTemplate, raw, defaults={"id": ""})
    except InputProblems as exc:
        return said(f"没有保存：{exc}", refused=True)
    before = await store.get(template.id) if template.id else None
    if template.id and before is None:
        return said(f"没有保存：没有欢迎语 {echo(template.id)}（可能已被删除）", refused=True)
    holder = await store.choose_exact(template.scope, template.target)
    if holder is not None and holder.id != template.id:
        reply = f"没有保存：{scope_label(holder)} 已有欢迎语「{holder.name}」，每个范围只能有一个"
        return said(reply, refused=True)
    session = admin_session(request)
    try:
        saved = await store.save(template, await Call(ctx, session).guard())
    except TemplateError as exc:
        return said(f"没有保存：{exc}", refused=True)
    verb = "修改" if before else "新增"
    await session.changed(
        "welcome.edit" if before else "welcome.add",
        Change(
            "welcome",
            saved.id,
            asdict(before) if before else None,
            asdict(saved),
            f"{verb}欢迎语 {saved.id}「{saved.name}」",
        ),
    )
    return said(f"已保存欢迎语「{saved.name}」（{scope_label(saved)}）", id=saved.id)


async def delete(request: web.Request) -> web.Response:
    template_id = request[BODY_OF].get("id")
    store = request.config_dict[HANDLER_CONTEXT].services.welcomes
    before = await store.get(template_id) if isinstance(template_id, str) else None
    if before is None:
        raise ConsoleError(404, "没有这条欢迎语（可能已被删除）")
    await store.delete(before.id)
    summary = f"删除欢迎语 {before.id}「{before.name}」"
    await admin_session(request).changed(
        "welcome.delete", Change("welcome", before.id, asdict(before), None, summary)
    )
    return said(f"已删除欢迎语「{before.name}」。可在审计日志页「撤销」恢复。")


def setup(app: web.Application) -> None:
    app.router.add_get("/welcomes", welcomes_page)
    app.router.add_get(r"/welcomes/{id:new|[0-9a-z_-]{1,32}}", editor_page)
    app.router.add_post("/api/welcomes/save", save)
    app.router.add_post("/api/welcomes/delete", delete)
