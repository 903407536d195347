"""Referral fission: an add through a participant's personal code records an invitee (new to the
corp or not, once), and deleting the member they added inside the stay window undoes them; a
customer asking in WeChat Customer Service gets their poster or their progress.

The counting itself (after the window) and the rewards are periodic work (`bot.fission.periodic`),
so a retried event changes nothing: each step is one script in `FissionStore`.
"""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import (
    AddExternalContact,
    ChatText,
    DelExternalContact,
    DelFollowUser,
    ExternalChatUpdate,
)
from bot.fission import chat
from bot.fission.model import STATE_PREFIX
from bot.routing import Router
from bot.wecom import WeComError

router = Router(name="handlers.fission")  # pinned: handler names are stored as done-marks
EARLIER_SLACK = 60  # a follow created this long before the add is an older relation
NO_RELATION = 84061  # externalcontact/get: the customer is no one's contact (deleted already)
# a group member who is no member's contact: 84061, or 40096 for one WeCom knows no userid of
NOT_A_CONTACT = frozenset({NO_RELATION, 40096})


def through_a_personal_code(event: AddExternalContact, ctx: HandlerContext) -> bool:
    return event.state.startswith(STATE_PREFIX)


async def _new_to_corp(event: AddExternalContact, ctx: HandlerContext) -> bool:
    """Whether the customer had no relation with any member before this add (WeCom's own
    answer: `externalcontact/get`'s follow_user): none with another member, and none with
    this one that began before it."""
    data = await ctx.wecom.external_contact.get(event.external_userid)
    for follow in data.get("follow_user", []):
        if follow.get("userid") != event.user_id:
            return False
        if int(follow.get("createtime", 0)) < event.create_time - EARLIER_SLACK:
            return False
    return True


@router.on(AddExternalContact, through_a_personal_code)
async def record_fission_invitee(event: AddExternalContact, ctx: HandlerContext) -> None:
    store = ctx.services.fission
    found = await store.inviter_of(event.state)
    if found is None:
        return  # a code of ours no longer known, or another tool's State
    activity_id, inviter = found
    activity = await store.get(activity_id)
    if activity is None or activity.in_groups or not activity.open_at(event.create_time):
        return
    if event.external_userid == inviter:
        return  # their own code
    try:
        new = await _new_to_corp(event, ctx)
    except WeComError as exc:
        if exc.errcode != NO_RELATION:
            raise
        return  # deleted again before we looked: not an invitee
    await store.invited(
        activity, event.external_userid, inviter, event.user_id, event.create_time, new
    )


CUSTOMER_IDS = ("wm", "wo")  # WeChat users' external userids; members' userids are others
MAX_JOINERS = 50  # looked up per join event: one WeCom call each


def joined_through_a_personal_code(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail == "add_member" and event.state.startswith(STATE_PREFIX)


def left_a_group(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail == "del_member"


@router.on(ExternalChatUpdate, joined_through_a_personal_code)
async def record_fission_group_invitees(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    """A group goal: customers joining through a participant's group code are invitees, new
    when no member has them as a contact (WeCom: 84061)."""
    store = ctx.services.fission
    found = await store.inviter_of(event.state)
    if found is None:
        return
    activity_id, inviter = found
    activity = await store.get(activity_id)
    if activity is None or not activity.in_groups or not activity.open_at(event.create_time):
        return
    for member in event.mem_change_list[:MAX_JOINERS]:
        if member == inviter or not member.startswith(CUSTOMER_IDS):
            continue
        try:
            data = await ctx.wecom.external_contact.get(member)
            new = not data.get("follow_user")
        except WeComError as exc:
            if exc.errcode not in NOT_A_CONTACT:
                raise
            new = True  # no member's contact: new to the corp
        await store.invited(activity, member, inviter, event.chat_id, event.create_time, new)


@router.on(ExternalChatUpdate, left_a_group)
async def undo_fission_group_invitees(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    await _left(ctx, event.mem_change_list[:MAX_JOINERS], event.chat_id)


def a_customer_asks(event: ChatText, ctx: HandlerContext) -> bool:
    return bool(chat.asks(event))


@router.on(ChatText, a_customer_asks)
async def answer_fission_request(event: ChatText, ctx: HandlerContext) -> None:
    """「邀请海报」 / 「我的进度」 in WeChat Customer Service: the poster, or the progress."""
    await chat.answer(event, ctx)


@router.on(DelFollowUser)
async def undo_fission_invitee_left(event: DelFollowUser, ctx: HandlerContext) -> None:
    await _left(ctx, [event.external_userid], event.user_id)


@router.on(DelExternalContact)
async def undo_fission_invitee_removed(event: DelExternalContact, ctx: HandlerContext) -> None:
    await _left(ctx, [event.external_userid], event.user_id)


async def _left(ctx: HandlerContext, invitees: list[str], staff: str) -> None:
    """Undo the pending counts of these invitees of `staff` (a member, or a group's chat id),
    in every activity — read once for all of them."""
    store = ctx.services.fission
    activities = await store.activities()
    for invitee in invitees:
        for activity in activities:
            await store.left(activity.id, invitee, staff)
