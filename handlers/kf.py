"""WeChat Customer Service (微信客服): pull new messages after each `kf_msg_or_event`.

Each page's text messages enter the event stream as `ChatText` (once each, by message id)
in the same Lua call that saves the sync cursor, so a crash never skips a page and a page
read again adds nothing. Features that read chat text (tagging, profiles, sensitive words)
handle those events like any other.
"""

from __future__ import annotations

from typing import Any

from bot.context import HandlerContext
from bot.events import ChatText, KfMsgOrEvent
from bot.routing import Router
from bot.storage.locks import RedisLock

router = Router(name="handlers.kf")  # pinned: handler names are stored as done-marks

MAX_PAGES_PER_EVENT = 50
SENDERS = {3: "customer", 5: "staff"}  # msg_list origin: 3 customer, 4 system, 5 servicer


@router.on(KfMsgOrEvent)
async def pull_kf_messages(event: KfMsgOrEvent, ctx: HandlerContext) -> None:
    # events for one account arrive close together and are handled concurrently: two pulls
    # from the same cursor would read every page twice
    async with RedisLock(ctx.redis, ctx.keys.kf_lock(event.open_kfid)):
        await _pull(event, ctx)


async def _pull(event: KfMsgOrEvent, ctx: HandlerContext) -> None:
    cursor_key = ctx.keys.kf_cursor(event.open_kfid)
    log = ctx.services.chat_log
    cursor = await log.saved_cursor(cursor_key)
    for _ in range(MAX_PAGES_PER_EVENT):
        page = await ctx.wecom.kf.sync_msg(event.open_kfid, token=event.token, cursor=cursor)
        cursor = str(page.get("next_cursor") or cursor)
        texts = [t for t in map(as_chat_text, page.get("msg_list", [])) if t is not None]
        await log.append(texts, cursor=(cursor_key, cursor))
        if not page.get("has_more"):
            return
    ctx.log.warning("kf %s: more than %d pages pending", event.open_kfid, MAX_PAGES_PER_EVENT)


def as_chat_text(message: dict[str, Any]) -> ChatText | None:
    """A text message of `kf/sync_msg` (doc 94670) as ChatText; other kinds are None."""
    sender = SENDERS.get(int(message.get("origin") or 0))
    if sender is None or message.get("msgtype") != "text" or not message.get("msgid"):
        return None
    return ChatText(
        msgid=str(message["msgid"]),
        source="kf",
        sender=sender,
        external_userid=str(message.get("external_userid", "")),
        staff_userid=str(message.get("servicer_userid", "")),
        open_kfid=str(message.get("open_kfid", "")),
        text=str(message.get("text", {}).get("content", "")),
        sent_at=int(message.get("send_time") or 0),
        create_time=int(message.get("send_time") or 0),
    )
