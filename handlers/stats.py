"""Operating statistics: every add, loss, transfer and group membership change counted once,
on the corp-time day of the event's own CreateTime (bot/stats/recorder.py).

Churn is counted here too: a customer deleting the staff member (del_follow_user) is "lost by
customer", a staff member deleting the customer is "lost by staff", unless WeCom says it was a
transfer to a colleague (DELETE_BY_TRANSFER), which ends the relation without a loss.
"""

from __future__ import annotations

import time

from bot.context import HandlerContext
from bot.events import AddExternalContact, DelExternalContact, DelFollowUser, ExternalChatUpdate
from bot.events.base import Event
from bot.routing import Router
from bot.welcome.channels import STATE_PREFIX

router = Router(name="handlers.stats")  # pinned: handler names are stored as done-marks

TRANSFER = "DELETE_BY_TRANSFER"
MEMBER_CHANGES = ("add_member", "del_member")


def _mark(event: Event, ctx: HandlerContext, *identity: str) -> str:
    # outside the pipeline there is no entry id; the event's own content identifies it then
    return ctx.delivery.entry_id or ":".join((type(event).__name__, *identity))


def _at(event: Event) -> int:
    return event.create_time or int(time.time())


@router.on(AddExternalContact)
async def count_new_customer(event: AddExternalContact, ctx: HandlerContext) -> None:
    channel = event.state.removeprefix(STATE_PREFIX) if event.state.startswith(STATE_PREFIX) else ""
    mark = _mark(event, ctx, event.user_id, event.external_userid, str(event.create_time))
    await ctx.services.stats.added(mark, event.user_id, event.external_userid, channel, _at(event))


@router.on(DelFollowUser)
async def count_lost_by_customer(event: DelFollowUser, ctx: HandlerContext) -> None:
    mark = _mark(event, ctx, event.user_id, event.external_userid, str(event.create_time))
    await ctx.services.stats.lost(
        mark, event.user_id, event.external_userid, "customer", _at(event)
    )


@router.on(DelExternalContact)
async def count_lost_by_staff(event: DelExternalContact, ctx: HandlerContext) -> None:
    mark = _mark(event, ctx, event.user_id, event.external_userid, str(event.create_time))
    recorder = ctx.services.stats
    if event.source == TRANSFER:
        await recorder.transferred(mark, event.user_id, event.external_userid, _at(event))
    else:
        await recorder.lost(mark, event.user_id, event.external_userid, "staff", _at(event))


def members_changed(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail in MEMBER_CHANGES


@router.on(ExternalChatUpdate, members_changed)
async def count_group_members(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    # the list is what changed; the count stands in when WeCom left the list out
    members = len(event.mem_change_list) or event.mem_change_cnt
    if not members:
        return
    mark = _mark(event, ctx, event.chat_id, event.update_detail, event.cur_mem_ver)
    await ctx.services.stats.group_changed(
        mark, event.update_detail == "add_member", members, _at(event)
    )
