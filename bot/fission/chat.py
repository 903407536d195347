"""A customer asks in WeChat Customer Service (微信客服): 「邀请海报」 gets their personal poster
for the activity running now (joining them), 「我的进度」 their progress. Answers go back through
`kf/send_msg` with ids derived from the customer's message, so a retried event sends the same
ids rather than new ones."""

from __future__ import annotations

import hashlib
import time

from bot.context import HandlerContext
from bot.events import ChatText
from bot.fission.codes import personal_poster
from bot.fission.model import Activity, FissionError
from bot.fission.report import progress_of, progress_text
from bot.media import MediaLibrary

PROGRESS_WORDS = frozenset({"我的进度", "邀请进度", "进度"})
POSTER_WORDS = frozenset({"邀请海报", "我要参加", "参加活动"})
NO_ACTIVITY = "目前没有进行中的邀请活动，敬请期待。"


def asks(event: ChatText) -> str:
    """ "progress", "poster" or "" for what a customer's message asks."""
    if event.source != "kf" or event.sender != "customer" or not event.open_kfid:
        return ""
    words = event.text.strip()
    return "progress" if words in PROGRESS_WORDS else "poster" if words in POSTER_WORDS else ""


def _msgid(event: ChatText, part: str) -> str:
    return "fx" + hashlib.sha256(f"{event.msgid}|{part}".encode()).hexdigest()[:30]


async def _running(ctx: HandlerContext) -> Activity | None:
    now = int(time.time())
    running = [a for a in await ctx.services.fission.activities() if a.open_at(now)]
    return max(running, key=lambda a: a.start) if running else None


async def answer(event: ChatText, ctx: HandlerContext) -> None:
    kind = asks(event)
    if kind == "progress":
        await _reply_text(event, ctx, await _progress(event, ctx), "progress")
    elif kind == "poster":
        await _poster(event, ctx)


async def _progress(event: ChatText, ctx: HandlerContext) -> str:
    store = ctx.services.fission
    joined = [
        a
        for a in await store.activities()
        if await store.participant(a.id, event.external_userid) is not None
    ]
    if not joined:
        running = await _running(ctx)
        return "您还没有参加邀请活动，回复「邀请海报」即可参加。" if running else NO_ACTIVITY
    latest = max(joined, key=lambda a: a.start)
    return progress_text(latest, await progress_of(store, latest, event.external_userid))


async def _poster(event: ChatText, ctx: HandlerContext) -> None:
    activity = await _running(ctx)
    if activity is None:
        await _reply_text(event, ctx, NO_ACTIVITY, "poster")
        return
    media = MediaLibrary(ctx.redis, ctx.keys, ctx.wecom.media)
    name = await ctx.services.names.customer(event.external_userid)
    try:
        png = await personal_poster(
            ctx.services.fission, activity, event.external_userid, ctx.wecom, media, name
        )
    except FissionError as exc:
        ctx.log.warning("fission poster for %s not made: %s", event.external_userid, exc)
        await _reply_text(event, ctx, "海报暂时生成失败，请稍后再试。", "poster")
        return
    media_id = await ctx.wecom.media.upload("image", f"poster-{activity.id}.png", png)
    image = {"msgtype": "image", "image": {"media_id": media_id}}
    await ctx.wecom.kf.send(event.open_kfid, event.external_userid, image, _msgid(event, "image"))
    hours = f"保留 {activity.hold_hours} 小时后" if activity.hold_hours else ""
    await _reply_text(
        event,
        ctx,
        f"这是您的专属邀请海报。好友扫码添加顾问{hours}即计入，邀满 {activity.goal} 位可领奖励；"
        "回复「我的进度」查看进度。",
        "poster",
    )


async def _reply_text(event: ChatText, ctx: HandlerContext, text: str, part: str) -> None:
    message = {"msgtype": "text", "text": {"content": ctx.text.outgoing(text)}}
    await ctx.wecom.kf.send(event.open_kfid, event.external_userid, message, _msgid(event, part))
