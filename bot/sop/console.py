"""The console's SOP page: every rule with its trigger, steps, the steps still scheduled and
the reminders sent and done, and a step builder (trigger, audience, quiet hours, each step's
offset, time, delivery, text and attachments) that saves through the same `SopStore.save` and
checks as `scrm-bot sop set`.

A save or a deletion is audited as made in the console and 撤销 takes it back (the
`sop-rule` change kind).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.admin.call import Call, CommandError
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.sop.rules import DELIVERIES, TRIGGER_NAMES, SopError, SopRule
from bot.typed_input import InputProblems, build
from console_web.pages import page
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

BOOKKEEPING = frozenset({"version", "updated_at", "updated_by"})  # the store sets these
DELIVERY_NAMES = {"reminder": "提醒员工（应用消息）", "mass": "群发任务（员工确认后发出）"}


async def sops_page(request: web.Request) -> web.Response:
    services = request.config_dict[HANDLER_CONTEXT].services
    store = services.sops
    progress = await services.sop_tasks.progress()
    waiting, partly = await store.waiting()  # one pass over the schedule for every rule
    rows = []
    for rule in await store.all():
        trigger = TRIGGER_NAMES.get(rule.trigger, rule.trigger)
        sent, done, skipped = progress.get(rule.id, (0, 0, 0))
        counts = (waiting.get(rule.id, 0), sent, done, skipped)
        rows.append((rule, trigger, *counts, _editable(rule)))
    return page(
        "sops.html",
        **base_context(request, "sops"),
        rows=rows,
        waiting_partly=partly,
        deliveries=[(key, DELIVERY_NAMES[key]) for key in DELIVERIES],
        triggers=list(TRIGGER_NAMES.items()),
    )


def _editable(rule: SopRule) -> str:
    """The rule as the builder loads it (JSON in an attribute, escaped by the template)."""
    data = {k: v for k, v in asdict(rule).items() if k not in BOOKKEEPING}
    return json.dumps(data, ensure_ascii=False)


async def save(request: web.Request) -> web.Response:
    """`{"rule": {...}}` (SopRule's fields; no id: a new rule) → saved, or why not."""
    raw = request[BODY_OF].get("rule")
    if not isinstance(raw, dict):
        raise ConsoleError(400, "请填写 SOP 规则")
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.sops
    try:
        rule = build(SopRule, raw, defaults={"id": ""}, ignored=BOOKKEEPING)
    except InputProblems as exc:
        return said(f"没有保存：{exc}", refused=True)
    before = await store.get(rule.id) if rule.id else None
    if rule.id and before is None:
        return said(f"没有保存：没有 SOP {rule.id}（可能已被删除）", refused=True)
    session = admin_session(request)
    guard = await Call(ctx, session).guard()
    try:
        saved = await store.save(rule, session.userid, guard)
    except SopError as exc:
        return said(f"没有保存：{exc}", refused=True)
    verb = "修改" if before else "新建"
    await session.changed(
        f"sop.{'update' if before else 'create'}",
        Change(
            "sop-rule",
            saved.id,
            asdict(before) if before else None,
            asdict(saved),
            f"{verb} SOP {saved.id}「{saved.name}」",
        ),
    )
    return said(f"已保存 SOP {saved.id}「{saved.name}」，共 {len(saved.steps)} 步")


async def delete(request: web.Request) -> web.Response:
    rule_id = request[BODY_OF].get("id")
    store = request.config_dict[HANDLER_CONTEXT].services.sops
    before = await store.get(rule_id) if isinstance(rule_id, str) and len(rule_id) < 40 else None
    if before is None:
        raise ConsoleError(404, "没有这条 SOP（可能已被删除）")
    await store.delete(before.id)
    summary = f"删除 SOP {before.id}「{before.name}」"
    change = Change("sop-rule", before.id, asdict(before), None, summary)
    await admin_session(request).changed("sop.delete", change)
    return said(f"已删除 SOP「{before.name}」，未发出的步骤不再发送。可在审计日志页「撤销」恢复。")


async def undo_rule(change: Change, call: Call) -> str:
    """撤销 of a console SOP change: the rule as it was (gone if it was new)."""
    store = call.ctx.services.sops
    if change.before is None:
        if await store.get(change.target) is not None:
            await store.delete(change.target)
        return f"已撤销：删除了新建的 SOP {change.target}"
    rule = SopRule.from_dict(_without_bookkeeping(change.before))
    try:
        await store.save(rule, call.admin, await call.guard())
    except SopError as exc:
        raise CommandError(f"SOP {change.target} 无法恢复：{exc}") from None
    return f"已撤销：SOP {rule.id}「{rule.name}」恢复为改动前"


def _without_bookkeeping(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in BOOKKEEPING}


def setup(app: web.Application) -> None:
    app.router.add_get("/sops", sops_page)
    app.router.add_post("/api/sops/save", save)
    app.router.add_post("/api/sops/delete", delete)


PART = ConsolePart((("sops", "SOP 规则"),), setup)
