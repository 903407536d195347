"""Customer profiles kept current: adds, edits and deletions from `change_external_contact`,
each followed by a read of WeCom's own record where it changed, and every chat message counted.
"""

from __future__ import annotations

import time

from bot.context import HandlerContext
from bot.events import (
    AddExternalContact,
    AddHalfExternalContact,
    ChatText,
    DelExternalContact,
    DelFollowUser,
    EditExternalContact,
)
from bot.routing import Router
from bot.wecom import WeComError

router = Router(name="handlers.profiles")  # pinned: handler names are stored as done-marks


async def read_contact(external_userid: str, ctx: HandlerContext) -> None:
    try:
        data = await ctx.wecom.external_contact.get(external_userid)
    except WeComError as exc:
        if exc.retryable:
            raise  # busy or unreachable: the pipeline tries again
        # no longer a contact, or no permission: the events keep what they carry
        ctx.log.info("profile of %s not read: %s", external_userid, exc)
        return
    await ctx.services.profiles.record_contact(data, int(time.time()))


@router.on(AddExternalContact)
async def customer_added(event: AddExternalContact, ctx: HandlerContext) -> None:
    store = ctx.services.profiles
    await store.added(event.external_userid, event.user_id, event.create_time, event.state)
    await read_contact(event.external_userid, ctx)


@router.on(AddHalfExternalContact)
async def customer_half_added(event: AddHalfExternalContact, ctx: HandlerContext) -> None:
    store = ctx.services.profiles
    await store.added(event.external_userid, event.user_id, event.create_time, event.state)


@router.on(EditExternalContact)
async def customer_edited(event: EditExternalContact, ctx: HandlerContext) -> None:
    await read_contact(event.external_userid, ctx)


@router.on(DelExternalContact)
async def staff_deleted_customer(event: DelExternalContact, ctx: HandlerContext) -> None:
    by = "transfer" if event.source == "DELETE_BY_TRANSFER" else "staff"
    await ctx.services.profiles.follow_deleted(
        event.external_userid, event.user_id, by, event.create_time
    )


@router.on(DelFollowUser)
async def customer_deleted_staff(event: DelFollowUser, ctx: HandlerContext) -> None:
    await ctx.services.profiles.follow_deleted(
        event.external_userid, event.user_id, "customer", event.create_time
    )


@router.on(ChatText)
async def count_message(event: ChatText, ctx: HandlerContext) -> None:
    await ctx.services.profiles.message(event)
