"""WeChat Customer Service (微信客服): pull new messages after each `kf_msg_or_event`.

Messages land in a per-account Redis stream for the features that read chat text (keyword
tagging); the sync cursor is saved in the same transaction as each page, so a crash never
skips or re-reads a page. Customers' text is inspected for sensitive words.
"""

from __future__ import annotations

import json

from bot.context import HandlerContext
from bot.events import KfMsgOrEvent
from bot.locks import RedisLock
from bot.routing import Router

router = Router(name=__name__)

MAX_PAGES_PER_EVENT = 50
STREAM_MAXLEN = 100_000
CUSTOMER = 3  # msg_list origin: 3 customer, 4 system, 5 servicer


@router.on(KfMsgOrEvent)
async def pull_kf_messages(event: KfMsgOrEvent, ctx: HandlerContext) -> None:
    # events for one account arrive close together and are handled concurrently: two pulls
    # from the same cursor would store every message twice
    async with RedisLock(ctx.redis, ctx.keys.kf_lock(event.open_kfid)):
        await _pull(event, ctx)


async def _pull(event: KfMsgOrEvent, ctx: HandlerContext) -> None:
    cursor_key = ctx.keys.kf_cursor(event.open_kfid)
    stream_key = ctx.keys.kf_messages(event.open_kfid)
    cursor = await ctx.redis.get(cursor_key) or ""
    for _ in range(MAX_PAGES_PER_EVENT):
        page = await ctx.wecom.kf.sync_msg(event.open_kfid, token=event.token, cursor=cursor)
        next_cursor = str(page.get("next_cursor") or cursor)
        async with ctx.redis.pipeline(transaction=True) as tx:
            for message in page.get("msg_list", []):
                tx.xadd(
                    stream_key,
                    {"msgid": str(message.get("msgid", "")), "json": json.dumps(message)},
                    maxlen=STREAM_MAXLEN,
                    approximate=True,
                )
            tx.set(cursor_key, next_cursor)
            await tx.execute()
        cursor = next_cursor
        for message in page.get("msg_list", []):
            if message.get("origin") == CUSTOMER and message.get("msgtype") == "text":
                content = str(message.get("text", {}).get("content", ""))
                await ctx.text.inspect_incoming(content, "kf", str(message.get("external_userid")))
        if not page.get("has_more"):
            return
    ctx.log.warning("kf %s: more than %d pages pending", event.open_kfid, MAX_PAGES_PER_EVENT)
