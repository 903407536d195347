"""Channel codes at work: count each add, tag the customer, keep daily limits, track leavers.

Runs after the welcome (see the router order in bot/app.py): tagging and limits are not in a
hurry, the welcome is.
"""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import (
    AddExternalContact,
    AddHalfExternalContact,
    ContactAdded,
    DelExternalContact,
    DelFollowUser,
)
from bot.routing import Router
from bot.welcome.channels import STATE_PREFIX
from bot.welcome.contact_ways import ChannelManager

router = Router(name="handlers.channels")  # pinned: handler names are stored as done-marks

Added = ContactAdded


def from_a_channel(event: Added, ctx: HandlerContext) -> bool:
    return event.state.startswith(STATE_PREFIX)


@router.on(AddExternalContact, from_a_channel)
async def customer_came_through_channel(event: AddExternalContact, ctx: HandlerContext) -> None:
    await _arrived(event, ctx)


@router.on(AddHalfExternalContact, from_a_channel)
async def customer_half_came_through_channel(
    event: AddHalfExternalContact, ctx: HandlerContext
) -> None:
    await _arrived(event, ctx)


async def _arrived(event: Added, ctx: HandlerContext) -> None:
    store = ctx.services.channels
    channel = await store.get(event.state.removeprefix(STATE_PREFIX))
    if channel is None:
        ctx.log.info("add through unknown channel state %s", event.state)
        return
    manager = ChannelManager(store, ctx.wecom.external_contact)
    counts = await store.count_add(channel.id, event.user_id, manager.day())
    await store.remember_customer(channel.id, event.user_id, event.external_userid)
    if channel.tags:
        await ctx.wecom.external_contact.mark_tag(
            event.user_id, event.external_userid, add_tag=channel.tags
        )
    if channel.daily_limit and counts.get(event.user_id, 0) >= channel.daily_limit:
        await manager.refresh(channel)  # drops whoever reached the limit until tomorrow


@router.on(DelFollowUser)
async def customer_left(event: DelFollowUser, ctx: HandlerContext) -> None:
    await ctx.services.channels.forget_customer(event.user_id, event.external_userid)


@router.on(DelExternalContact)
async def staff_removed_customer(event: DelExternalContact, ctx: HandlerContext) -> None:
    await ctx.services.channels.forget_customer(event.user_id, event.external_userid)
