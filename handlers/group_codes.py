"""Customers joining a group through a group live code, and leaving it: counted for that code,
by day; and a joiner who had added a staff member through one of our channel codes, counted for
that channel and add day too — the last step of the guided-entry funnel (引导入群: a channel's
welcome carries the group code).

WeCom puts the code's `state` on the `add_member` event of a join through it (doc 92229); ours
are `gc:<code id>`. Joins without a state, or with another's, are not ours to count. A leave
carries no state: it counts for the code its member joined through, if any.
"""

from __future__ import annotations

from bot.clock import corp_date
from bot.context import HandlerContext
from bot.events import ExternalChatUpdate
from bot.group_codes.codes import STATE_PREFIX
from bot.group_codes.stats import Guided
from bot.profiles.model import CustomerProfile
from bot.routing import Router

router = Router(name="handlers.group_codes")  # pinned: handler names are stored as done-marks


def joined_through_a_code(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail == "add_member" and event.state.startswith(STATE_PREFIX)


def members_left(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail == "del_member"


def _mark(event: ExternalChatUpdate, ctx: HandlerContext) -> str:
    # outside the pipeline there is no entry id; the event's own content identifies it then
    return ctx.delivery.entry_id or f"{event.chat_id}:{event.create_time}:{event.cur_mem_ver}"


@router.on(ExternalChatUpdate, joined_through_a_code)
async def count_code_join(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    code_id = event.state.removeprefix(STATE_PREFIX)[:32]
    await ctx.services.group_code_stats.joined(
        _mark(event, ctx),
        code_id,
        event.chat_id,
        list(event.mem_change_list),
        corp_date(event.create_time),
    )


MAX_ATTRIBUTED = 50  # joiners looked up per event: one profile read each


def _channel_follow(profile: CustomerProfile) -> Guided | None:
    """The customer's latest add through one of our channels, if any."""
    through = [f for f in profile.follows.values() if f.channel and f.added_at]
    if not through:
        return None
    latest = max(through, key=lambda follow: follow.added_at)
    return Guided(profile.external_userid, latest.channel, corp_date(latest.added_at))


@router.on(ExternalChatUpdate, joined_through_a_code)
async def attribute_guided_join(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    """Count each joiner who came through a channel for that channel's add day."""
    joined = []
    for member in event.mem_change_list[:MAX_ATTRIBUTED]:
        found = _channel_follow(await ctx.services.profiles.get(member))
        if found is not None:
            joined.append(found)
    if joined:
        code_id = event.state.removeprefix(STATE_PREFIX)[:32]
        await ctx.services.group_code_stats.guided(_mark(event, ctx), code_id, joined)


@router.on(ExternalChatUpdate, members_left)
async def count_code_leave(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    await ctx.services.group_code_stats.left(
        _mark(event, ctx), event.chat_id, list(event.mem_change_list), corp_date(event.create_time)
    )
