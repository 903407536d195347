"""SOPs and churn alerts from customer events: an add starts the "after added" SOPs, a
deletion ends the relation's pending steps and schedules the churn alert."""

from __future__ import annotations

from bot.churn import alert_id
from bot.context import HandlerContext
from bot.events import AddExternalContact, DelExternalContact, DelFollowUser
from bot.routing import Router
from bot.sop.triggers import SopTriggers
from bot.welcome.channels import STATE_PREFIX

router = Router(name="handlers.sop")  # pinned: handler names are stored as done-marks


@router.on(AddExternalContact)
async def start_customer_sops(event: AddExternalContact, ctx: HandlerContext) -> None:
    channel = event.state.removeprefix(STATE_PREFIX) if event.state.startswith(STATE_PREFIX) else ""
    started = await SopTriggers.of(ctx).fire(
        "added", event.user_id, event.external_userid, event.create_time, value=channel
    )
    if started:
        ctx.log.debug("%d SOP(s) started for %s", started, event.external_userid)


@router.on(DelFollowUser)
async def customer_left_staff(event: DelFollowUser, ctx: HandlerContext) -> None:
    await SopTriggers.of(ctx).relation_ended(event.user_id, event.external_userid)
    job = alert_id("follow", event.user_id, event.external_userid, event.create_time)
    await ctx.services.scheduler.add({job: event.create_time})


@router.on(DelExternalContact)
async def staff_removed_customer(event: DelExternalContact, ctx: HandlerContext) -> None:
    await SopTriggers.of(ctx).relation_ended(event.user_id, event.external_userid)
    if event.source == "DELETE_BY_TRANSFER":  # moved to a colleague: not a loss
        return
    job = alert_id("admin", event.user_id, event.external_userid, event.create_time)
    await ctx.services.scheduler.add({job: event.create_time})
