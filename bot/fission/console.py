"""The console's fission page (裂变活动): each activity with its window, rules and numbers —
participants, invitees by status, completions, rewards issued (the cost), coupons left — the
coupon pool's upload (audited; 撤销 takes the codes back out while unissued), and a customer's
personal code and poster."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.fission.codes import join, personal_poster
from bot.fission.model import Activity, FissionError, parse_coupons
from bot.fission.poster import check_background
from bot.fission.report import activity_numbers, retention
from bot.group_codes.report import percent
from bot.media import MediaLibrary
from console_web.fields import CHAT_ID, USERID, id_list, text_field
from console_web.pages import pages_in
from console_web.part import ConsolePart
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

_ID = re.compile(r"[0-9a-f]{6}")
_CUSTOMER = re.compile(r"[A-Za-z0-9_-]{1,64}")
COUPONS = "/api/fission/coupons"
COUPON_BODY = 6 * 1024 * 1024
page = pages_in(Path(__file__).with_name("templates"))


async def activities_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.fission
    now = int(time.time())
    rows = []
    for activity in await store.activities():
        start, end = activity.window()
        status = "未开始" if now < start else "进行中" if now < end else "已结束"
        kept = await retention(
            store, ctx.services.profiles, ctx.redis, ctx.keys, activity, time.time()
        )
        rows.append((activity, status, await activity_numbers(store, activity), kept))
    return page("fission.html", **base_context(request, "fission"), rows=rows, percent=percent)


async def _activity_id(request: web.Request, value: object) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ConsoleError(400, "没有这个裂变活动")
    if await request.config_dict[HANDLER_CONTEXT].services.fission.get(value) is None:
        raise ConsoleError(404, "没有这个裂变活动（可能已被删除）")
    return value


async def add_coupons(request: web.Request) -> web.Response:
    data = request[BODY_OF]
    activity_id = await _activity_id(request, data.get("id"))
    text = data.get("text")
    if not isinstance(text, str):
        raise ConsoleError(400, "请上传券码文件（每行一个券码）")
    try:
        codes = parse_coupons(text)
    except FissionError as exc:
        return said(f"没有添加：{exc}", refused=True)
    store = request.config_dict[HANDLER_CONTEXT].services.fission
    size = await store.add_coupons(activity_id, codes)
    summary = f"为裂变活动 {activity_id} 添加券码 {len(codes)} 个"
    change = Change("fission-coupons", activity_id, None, {"codes": codes}, summary)
    await admin_session(request).changed("fission.coupons", change)
    return said(f"已添加 {len(codes)} 个券码，券码池现有 {size} 个（可撤销）")


async def join_customer(request: web.Request) -> web.Response:
    """A customer's personal code (made now if needed), to send them their poster."""
    data = request[BODY_OF]
    activity_id = await _activity_id(request, data.get("id"))
    customer = data.get("customer")
    if not isinstance(customer, str) or not _CUSTOMER.fullmatch(customer):
        raise ConsoleError(400, "请填写客户的 external_userid")
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.fission
    activity = await store.get(activity_id)
    assert activity is not None
    try:
        code = await join(store, activity, customer, ctx.wecom)
    except FissionError as exc:
        return said(f"没有生成：{exc}", refused=True)
    name = await ctx.services.names.customer(customer) or customer
    return said(
        f"已为「{name}」生成专属活码，可下载海报发给 TA",
        download={"href": f"fission/{activity_id}/poster/{customer}.png", "text": "下载海报 PNG"},
        state=code["state"],
    )


async def poster(request: web.Request) -> web.Response:
    """The poster PNG of a customer who has joined (joining is `join_customer`'s POST)."""
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.fission
    activity = await store.get(request.match_info["id"])
    customer = request.match_info["customer"]
    if activity is None or await store.participant(activity.id, customer) is None:
        raise web.HTTPNotFound()
    media = MediaLibrary(ctx.redis, ctx.keys, ctx.wecom.media)
    name = await ctx.services.names.customer(customer)
    try:
        png = await personal_poster(store, activity, customer, ctx.wecom, media, name)
    except FissionError as exc:
        raise web.HTTPBadGateway(text=str(exc)) from None
    headers = {"Content-Disposition": f'attachment; filename="poster-{activity.id}.png"'}
    return web.Response(body=png, content_type="image/png", headers=headers)


def _number(data: dict[str, object], name: str, label: str) -> int:
    text = text_field(data, name, label, 6)
    if not (text.isascii() and text.isdigit()):  # "²" is a digit to isdigit, not to int
        raise ConsoleError(400, f"「{label}」应是整数")
    return int(text)


def _activity(data: dict[str, object]) -> Activity:
    """The activity a create form describes (checked again by the store)."""
    staff = id_list(data.get("staff", ""), "接待员工", USERID, most=2000)
    chats = id_list(data.get("chats", ""), "客户群", CHAT_ID, most=1000, what="客户群 ID")
    return Activity(
        "",
        text_field(data, "name", "活动名称", 100),
        staff,
        text_field(data, "start", "开始", 20).replace("T", " "),  # datetime-local's value
        text_field(data, "end", "结束", 20).replace("T", " "),
        _number(data, "goal", "邀请目标"),
        _number(data, "hold_hours", "留存时长"),
        text_field(data, "reward", "奖励", 10),
        text_field(data, "reward_text", "奖励说明", 1000),
        text_field(data, "reward_url", "奖励链接", 2000),
        text_field(data, "poster_ref", "海报背景图片", 100),
        text_field(data, "poster_text", "海报文字", 1000),
        "group" if chats else "friends",
        chats,
    )


async def create(request: web.Request) -> web.Response:
    """A new activity from the console's form: checked like the CLI's (its poster's image
    too), audited, and taken back by 撤销 while no one has joined."""
    ctx = request.config_dict[HANDLER_CONTEXT]
    activity = _activity(request[BODY_OF])
    media = MediaLibrary(ctx.redis, ctx.keys, ctx.wecom.media)
    background = await media.content(activity.poster_ref) if activity.poster_ref else None
    try:
        if background is not None:
            await asyncio.to_thread(check_background, background)
        saved = await ctx.services.fission.save(activity, ctx.text)
    except FissionError as exc:
        return said(f"没有保存：{exc}", refused=True)
    summary = f"新建裂变活动「{saved.name}」"
    change = Change("fission", saved.id, None, asdict(saved), summary)
    await admin_session(request).changed("fission.create", change)
    return said(f"已新建裂变活动「{saved.name}」（编号 {saved.id}）")


async def undo_create(change: Change, call: Call) -> str:
    """撤销 of a new activity: gone again, unless someone has joined it meanwhile."""
    store = call.ctx.services.fission
    if await store.participants(change.target):
        raise CommandError(f"裂变活动 {change.target} 已有客户参加，不能撤销，请在结束后停用")
    await store.delete(change.target)
    return f"已撤销：删除了裂变活动 {change.target}"


async def undo_coupons(change: Change, call: Call) -> str:
    """撤销 of a coupon upload: the codes still in the pool come out (issued ones stay issued)."""
    codes = list((change.after or {}).get("codes", []))
    store = call.ctx.services.fission
    if await store.get(change.target) is None:
        raise CommandError(f"裂变活动 {change.target} 已删除")
    removed = await store.remove_coupons(change.target, codes)
    return f"已撤销：从活动 {change.target} 的券码池取出 {removed} 个未发放的券码"


def setup(app: web.Application) -> None:
    app.router.add_get("/fission", activities_page)
    app.router.add_get(
        r"/fission/{id:[0-9a-f]{6}}/poster/{customer:[A-Za-z0-9_-]{1,64}}.png", poster
    )
    app.router.add_post(COUPONS, add_coupons)
    app.router.add_post("/api/fission/create", create)
    app.router.add_post("/api/fission/join", join_customer)


PART = ConsolePart(
    (("fission", "裂变活动"),), setup, body_limits={"/console" + COUPONS: COUPON_BODY}
)
ADMIN = AdminPart(
    nouns=(),
    specs=(),
    executors={},
    undo={"fission-coupons": undo_coupons, "fission": undo_create},
)
