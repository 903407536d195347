"""Referral fission: an add through a participant's personal code records an invitee (new to the
corp or not, once), and deleting the member they added inside the stay window undoes them; a
customer asking in WeChat Customer Service gets their poster or their progress.

The counting itself (after the window) and the rewards are periodic work (`bot.fission.periodic`),
so a retried event changes nothing: each step is one script in `FissionStore`.
"""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import AddExternalContact, ChatText, DelExternalContact, DelFollowUser
from bot.fission import chat
from bot.fission.model import STATE_PREFIX
from bot.routing import Router
from bot.wecom import WeComError

router = Router(name="handlers.fission")  # pinned: handler names are stored as done-marks
EARLIER_SLACK = 60  # a follow created this long before the add is an older relation
NO_RELATION = 84061  # externalcontact/get: the customer is no one's contact (deleted already)


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
    if activity is None or not activity.open_at(event.create_time):
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


def a_customer_asks(event: ChatText, ctx: HandlerContext) -> bool:
    return bool(chat.asks(event))


@router.on(ChatText, a_customer_asks)
async def answer_fission_request(event: ChatText, ctx: HandlerContext) -> None:
    """「邀请海报」 / 「我的进度」 in WeChat Customer Service: the poster, or the progress."""
    await chat.answer(event, ctx)


@router.on(DelFollowUser)
async def undo_fission_invitee_left(event: DelFollowUser, ctx: HandlerContext) -> None:
    await _left(ctx, event.external_userid, event.user_id)


@router.on(DelExternalContact)
async def undo_fission_invitee_removed(event: DelExternalContact, ctx: HandlerContext) -> None:
    await _left(ctx, event.external_userid, event.user_id)


async def _left(ctx: HandlerContext, invitee: str, staff: str) -> None:
    store = ctx.services.fission
    for activity in await store.activities():
        await store.left(activity.id, invitee, staff)
