"""A member left (`change_contact` delete_user): the admins are told how many of their customers
and groups wait for inheritance (离职继承), and where to assign them."""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import MemberDeleted
from bot.routing import Router

router = Router(name="handlers.inheritance")  # pinned: handler names are stored as done-marks


@router.on(MemberDeleted)
async def alert_member_left(event: MemberDeleted, ctx: HandlerContext) -> None:
    if not ctx.settings.admins:
        return
    waiting = await ctx.wecom.transfer.unassigned()
    customers = sum(1 for row in waiting if row.get("handover_userid") == event.user_id)
    groups = len(await ctx.wecom.external_contact.group_chats([event.user_id]))
    name = await ctx.services.names.staff_for_admins(event.user_id)
    text = (
        f"【离职继承】成员 {name} 已离职：{customers} 位客户、{groups} 个客户群待分配。"
        f"请在管理后台或用 scrm-bot inherit resigned --from {event.user_id} --to … 分配给在职员工。"
    )
    await ctx.wecom.message.send_text(sorted(ctx.settings.admins), text)
