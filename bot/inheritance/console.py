"""The console's inheritance page (继承): customers of resigned members waiting, per member; a
form that hands a member's customers and groups to others by rule (resigned or on-job); every
hand-over with each takeover member's customers by outcome. Starting one is audited; WeCom
can't take a transfer back, so there is no undo — the customer may refuse within 24 hours."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT
from bot.context import HandlerContext
from bot.inheritance.assign import RULE_NAMES
from bot.inheritance.report import view
from bot.inheritance.runner import InheritError, start
from bot.storage.locks import RedisLock
from bot.wecom import WeComError
from console_web.fields import USERID, id_list, text_field
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context, newest

page = pages_in(Path(__file__).with_name("templates"))


async def inheritance_page(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    names = ctx.services.names
    try:
        rows = await ctx.wecom.transfer.unassigned()
        per = Counter(str(r.get("handover_userid", "")) for r in rows)
        waiting = [(m, await names.staff_for_admins(m), n) for m, n in per.most_common()]
        problem = ""
    except WeComError as exc:
        waiting, problem = [], f"读不到待分配的客户：{exc.explanation or exc.errmsg}"
    shown, total = newest(await ctx.services.inheritance.all())
    done = [await view(ctx, h) for h in shown]
    return page(
        "inheritance.html",
        **base_context(request, "inheritance"),
        waiting=waiting,
        problem=problem,
        handovers=done,
        total=total,
        rules=RULE_NAMES,
    )


async def begin(request: web.Request) -> web.Response:
    ctx: HandlerContext = request.config_dict[HANDLER_CONTEXT]
    data = request[BODY_OF]
    kind = text_field(data, "kind", "继承方式", 10)
    if kind not in ("resigned", "onjob"):
        raise ConsoleError(400, "继承方式应是离职继承或在职继承")
    handover = text_field(data, "handover", "原员工", 64)
    if not USERID.fullmatch(handover):
        raise ConsoleError(400, "「原员工」应是员工账号")
    takers = id_list(data.get("takers", ""), "接替员工", USERID, most=2000)
    named = id_list(data.get("customers", ""), "客户", USERID, most=200_000, what="客户 ID")
    session = admin_session(request)
    try:
        async with RedisLock(ctx.redis, ctx.keys.inherit_lock, ttl=600, wait=30):
            made = await start(
                ctx,
                kind,
                handover,
                takers,
                text_field(data, "rule", "分配规则", 20) or "round_robin",
                by=session.userid,
                customers=named or None,
                groups=data.get("groups") is True,
                message=text_field(data, "message", "给客户的提示", 300),
            )
    except InheritError as exc:
        return said(f"没有开始：{exc}", refused=True)
    summary = f"{'离职' if made.resigned else '在职'}继承：{handover} → {'、'.join(takers)}"
    await ctx.services.audit.record(session.userid, "console", "inherit.start", made.id, summary)
    return said(f"已开始继承（编号 {made.id}）：客户 24 小时后完成接替，期间客户可以拒绝")


def setup(app: web.Application) -> None:
    app.router.add_get("/inheritance", inheritance_page)
    app.router.add_post("/api/inheritance/start", begin)


PART = ConsolePart((("inheritance", "继承"),), setup)
