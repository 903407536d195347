"""The console's channel-code page (渠道活码): every channel with today's adds against its limit,
its QR code shown and downloadable as PNG for print, and create / edit / delete.

Saves go through `ChannelManager` (WeCom's contact way and Redis together, every member and tag
checked first), are audited as made in the console and can be taken back with 撤销 (the
`channel` change kind, `undo_channel`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, replace
from typing import Any

from aiohttp import web

from bot.admin.call import Call, CommandError
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.context import HandlerContext
from bot.wecom import WeComError
from bot.welcome import console_group, console_preview, console_templates
from bot.welcome.channel_refs import ChannelReferences
from bot.welcome.channels import Channel, StaffSlot
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.templates import TemplateError
from console_web.fields import TAGID, USERID, id_list
from console_web.pages import page
from console_web.part import ConsolePart
from console_web.qr import qr_image
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context

MAX_SLOTS = 20
_ID = re.compile(r"[0-9a-f]{6}")


def manager(ctx: HandlerContext) -> ChannelManager:
    contact = ctx.wecom.external_contact
    references = ChannelReferences(ctx.redis, ctx.keys, ctx.wecom.user, contact)
    return ChannelManager(ctx.services.channels, contact, references=references)


def _form(data: dict[str, Any], stored: Channel | None) -> Channel:
    name = data.get("name")
    limit = data.get("daily_limit", "0")
    if not isinstance(name, str) or not isinstance(limit, str):
        raise ConsoleError(400, "表单内容应为文字")
    if not (limit.strip() or "0").isdigit() or len(limit) > 6:
        raise ConsoleError(400, "每日添加上限应是 0 或正整数（0 表示不限）")
    users = id_list(data.get("users", ""), "接待员工", USERID)
    slots = _slots(data.get("slots", []))
    backup = id_list(data.get("backup", ""), "备用员工", USERID)
    tags = id_list(data.get("tags", ""), "自动打标签", TAGID)
    daily_limit = int(limit.strip() or "0")
    skip_verify = data.get("skip_verify", True) is not False
    base = stored or Channel(id="", name="", users=[])
    return replace(
        base,
        name=name.strip(),
        users=users,
        backup=backup,
        tags=tags,
        daily_limit=daily_limit,
        skip_verify=skip_verify,
        slots=slots,
    )


def _slots(raw: Any) -> list[StaffSlot]:
    """Rotation slots from the form: [{users, weekdays, start, end}] (checked again on save)."""
    if not isinstance(raw, list) or len(raw) > MAX_SLOTS:
        raise ConsoleError(400, f"轮值时段最多 {MAX_SLOTS} 个")
    slots = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ConsoleError(400, f"第 {n} 个轮值时段格式不对")
        weekdays, start, end = item.get("weekdays", []), item.get("start", ""), item.get("end", "")
        if not (
            isinstance(weekdays, list)
            and all(isinstance(d, int) and not isinstance(d, bool) for d in weekdays)
            and isinstance(start, str)
            and isinstance(end, str)
        ):
            raise ConsoleError(400, f"第 {n} 个轮值时段格式不对")
        users = id_list(item.get("users", ""), f"第 {n} 个轮值时段的员工", USERID)
        slots.append(StaffSlot(users, weekdays, start, end))
    return slots


async def _audited(request: web.Request, before: Channel | None, after: Channel | None) -> None:
    """Audit the change as made in the console, and remember it for 撤销."""
    session = admin_session(request)
    shown = after or before
    assert shown is not None  # a change has a before, an after or both
    if before is None:
        action, verb = "channel.create", "新建"
    elif after is None:
        action, verb = "channel.delete", "删除"
    else:
        action, verb = "channel.update", "修改"
    summary = f"{verb}渠道活码「{shown.name}」"
    before_data = asdict(before) if before else None
    after_data = asdict(after) if after else None
    await session.changed(action, Change("channel", shown.id, before_data, after_data, summary))


async def channels_page(request: web.Request) -> web.Response:
    ctx = request.config_dict[HANDLER_CONTEXT]
    store, names = ctx.services.channels, ctx.services.names
    day = corp_now().strftime("%Y-%m-%d")
    rows = []
    for channel in await store.list():
        adds = await store.adds_today(channel.id, day)
        staff = [await names.staff_for_admins(u) for u in channel.users]
        backup = [await names.staff_for_admins(u) for u in channel.backup]
        welcome = await ctx.services.welcomes.choose_exact("channel", channel.state)
        rows.append((channel, staff, backup, sum(adds.values()), welcome))
    return page("channels.html", **base_context(request, "channels"), rows=rows)


async def save(request: web.Request) -> web.Response:
    data = request[BODY_OF]
    ctx = request.config_dict[HANDLER_CONTEXT]
    channel_id = data.get("id", "")
    stored = None
    if channel_id:
        if not isinstance(channel_id, str) or not _ID.fullmatch(channel_id):
            raise ConsoleError(400, "没有这个渠道")
        stored = await ctx.services.channels.get(channel_id)
        if stored is None:
            raise ConsoleError(404, "没有这个渠道（可能已被删除）")
    channel = _form(data, stored)
    try:
        saved = await (manager(ctx).update(channel) if stored else manager(ctx).create(channel))
    except TemplateError as exc:
        return said(f"没有保存：{exc}", refused=True)
    except WeComError as exc:
        reply = f"没有保存：企业微信返回错误码 {exc.errcode}：{exc.explanation}"
        return said(reply, refused=True)
    await _audited(request, stored, saved)
    return said(f"已保存渠道活码「{saved.name}」（编号 {saved.id}）")


async def delete(request: web.Request) -> web.Response:
    channel_id = request[BODY_OF].get("id", "")
    ctx = request.config_dict[HANDLER_CONTEXT]
    if not isinstance(channel_id, str) or not _ID.fullmatch(channel_id):
        raise ConsoleError(400, "没有这个渠道")
    stored = await ctx.services.channels.get(channel_id)
    if stored is None:
        raise ConsoleError(404, "没有这个渠道（可能已被删除）")
    try:
        await manager(ctx).delete(stored)
    except WeComError as exc:
        reply = f"没有删除：企业微信返回错误码 {exc.errcode}：{exc.explanation}"
        return said(reply, refused=True)
    await _audited(request, stored, None)
    return said(
        f"已删除渠道活码「{stored.name}」；印出去的二维码已失效。"
        "可在审计日志页「撤销」恢复（会生成新码）。"
    )


async def qr_png(request: web.Request) -> web.StreamResponse:
    """The channel's QR code, for the page and as a download for print."""
    channel_id = request.match_info["id"]
    channel = await request.config_dict[HANDLER_CONTEXT].services.channels.get(channel_id)
    if channel is None:
        raise web.HTTPNotFound()
    return await qr_image(request, channel.qr_code, f"channel-{channel.id}.png")


async def undo_channel(change: Change, call: Call) -> str:
    """撤销 of a channel change: put the channel back as it was (a deleted one gets a new code,
    WeCom can't revive the old one)."""
    mgr = manager(call.ctx)
    current = await call.ctx.services.channels.get(change.target)
    try:
        if change.before is None:  # it was created: delete it
            if current is not None:
                await mgr.delete(current)
            return f"已撤销：删除了渠道活码 {change.target}"
        before = Channel.from_json(json.dumps(change.before, ensure_ascii=False))
        if current is None:
            before.config_id = before.qr_code = ""
            await mgr.create(before)
            return f"已撤销：恢复了渠道活码「{before.name}」（新二维码，请重新下载印刷）"
        await mgr.update(replace(before, config_id=current.config_id, qr_code=current.qr_code))
        return f"已撤销：渠道活码「{before.name}」恢复为修改前"
    except (TemplateError, WeComError) as exc:
        raise CommandError(f"渠道活码 {change.target} 无法恢复：{exc}") from None


def setup(app: web.Application) -> None:
    console_preview.setup(app)
    console_templates.setup(app)
    console_group.setup(app)
    app.router.add_get("/channels", channels_page)
    app.router.add_get(r"/channels/{id:[0-9a-f]{6}}/qr.png", qr_png)
    app.router.add_post("/api/channels/save", save)
    app.router.add_post("/api/channels/delete", delete)


PREVIEW = "api/welcome/preview"
PART = ConsolePart(
    (("welcomes", "欢迎语模板"), ("group-welcomes", "入群欢迎语"), ("channels", "渠道活码")),
    setup,
    {"welcome.add": PREVIEW, "welcome.edit": PREVIEW},  # the bubble as the customer sees it
)
