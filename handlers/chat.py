"""Every chat message the bot sees: kept in a capped history, and customers' text checked
for sensitive words (admins alerted once an hour per sender and word). Text staff send to the
app joins the same flow as a `ChatText` of source `app`."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import ChatText, TextMessage
from bot.routing import Router

router = Router(name="handlers.chat")  # pinned: handler names are stored as done-marks


@router.on(ChatText)
async def keep_chat_history(event: ChatText, ctx: HandlerContext) -> None:
    await ctx.services.chat_history.keep(event)


def from_customer(event: ChatText, ctx: HandlerContext) -> bool:
    return event.sender == "customer" and bool(event.text)


@router.on(ChatText, from_customer)
async def inspect_customer_text(event: ChatText, ctx: HandlerContext) -> None:
    names = ctx.services.names

    async def who() -> str:
        customer = await names.customer_for_admins(event.external_userid)
        if not event.chat_id:
            return f"客户 {customer}"
        return f"客户 {customer}（在客户群 {await names.group_for_admins(event.chat_id)}）"

    await ctx.text.inspect_incoming(event.text, event.source, event.external_userid, who)


@router.on(TextMessage)
async def app_text_is_chat_text(event: TextMessage, ctx: HandlerContext) -> None:
    if not event.msg_id or not event.content:
        return
    message = ChatText(
        msgid=event.msg_id,
        source="app",
        sender="staff",
        staff_userid=event.user_id,
        text=event.content,
        sent_at=event.create_time,
        create_time=event.create_time,
    )
    await ctx.services.chat_log.append([message])
