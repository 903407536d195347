"""Customers joining a customer group that has a join greeting: recorded, not sent.

WeCom has no API that posts into a customer group. Its group welcome (入群欢迎语) is sent by WeCom
itself, from the template the group owner picked in the client; the bot keeps those templates in
WeCom (bot/welcome/group.py) but can't send one. What it can do on `add_member` is note who
joined which group under which greeting, in a Redis stream (`bot.welcome.join_log`) the later
SOP / mass-message flow reads (a group mass message is a task the owner confirms). Groups
without a greeting (their own or "*") record nothing.
"""

from __future__ import annotations

import json

from bot.context import HandlerContext
from bot.events import ExternalChatUpdate
from bot.routing import Router

router = Router(name="handlers.group_welcome")  # pinned: handler names are stored as done-marks


def members_joined(event: ExternalChatUpdate, ctx: HandlerContext) -> bool:
    return event.update_detail == "add_member"


@router.on(ExternalChatUpdate, members_joined)
async def record_join_greeting(event: ExternalChatUpdate, ctx: HandlerContext) -> None:
    welcome = await ctx.services.group_welcomes.greeting_for(event.chat_id)
    if welcome is None:
        return
    members = list(event.mem_change_list)
    # outside the pipeline there is no entry id; the event's own content identifies it then
    mark = ctx.delivery.entry_id or f"{event.chat_id}:{event.create_time}:{event.cur_mem_ver}"
    fields = {
        "chat_id": event.chat_id,
        "members": json.dumps(members),
        "member_count": str(len(members) or event.mem_change_cnt),
        "join_scene": str(event.join_scene),
        "group_welcome_id": welcome.id,
        "template_id": welcome.template_id,
        "create_time": str(event.create_time),
        "cur_mem_ver": event.cur_mem_ver,  # lets a reader match the membership it saw
    }
    entry = await ctx.services.join_log.record(mark, welcome.id, fields)
    if entry:
        ctx.log.info("join of %d in %s recorded under %s", len(members), event.chat_id, welcome.id)
