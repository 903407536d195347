"""Mass-message results and follow-up (群发助手, doc 92135): get_groupmsg_task (per member: 0 not
sent yet, 2 sent), get_groupmsg_send_result (per recipient: 0 not sent, 1 sent, 2 not a friend,
3 quota reached), remind_groupmsg_send (at most 3 times in 24 hours, only while unsent) and
cancel_groupmsg_send (only while someone hasn't sent). A member confirms with
`Sandbox.member_sends_mass`. Errcodes the docs don't name are marked unconfirmed."""

from __future__ import annotations

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, as_int, as_str, invalid, offset_page
from bot.sandbox.state import MassTask

router = EndpointTable()

REMINDERS_PER_DAY = 3
DAY = 86400


def _task(ctx: Ctx) -> MassTask:
    msgid = as_str(ctx.body.get("msgid"), "msgid")
    task = next((t for t in ctx.state.mass_tasks if t.msgid == msgid), None)
    if task is None:
        raise ApiError(41063, "invalid msgid")  # unconfirmed errcode
    return task


def _limit(ctx: Ctx, most: int) -> int:
    limit = as_int(ctx.body.get("limit"), "limit", default=most)
    if not 1 <= limit <= most:
        raise invalid("limit", f"must be 1-{most}")
    return limit


@router.route("externalcontact/get_groupmsg_task")
async def get_groupmsg_task(ctx: Ctx) -> JsonDict:
    task = _task(ctx)
    _limit(ctx, 1000)
    return {
        "task_list": [
            {"userid": member, "status": 2 if member in task.sent_at else 0}
            | ({"send_time": int(task.sent_at[member])} if member in task.sent_at else {})
            for member in task.members
        ],
        "next_cursor": "",
    }


@router.route("externalcontact/get_groupmsg_send_result")
async def get_groupmsg_send_result(ctx: Ctx) -> JsonDict:
    task = _task(ctx)
    userid = as_str(ctx.body.get("userid"), "userid")
    if userid not in task.members:
        raise invalid("userid", "sends no part of this task")  # unconfirmed errcode
    _limit(ctx, 1000)
    field = "chat_id" if task.chat_type == "group" else "external_userid"
    sent = userid in task.sent_at
    rows: list[JsonDict] = []
    for target in task.recipients:
        if _sent_by(ctx, task, target) != userid:
            continue
        row: JsonDict = {field: target, "userid": userid, "status": 1 if sent else 0}
        if sent:
            row["send_time"] = int(task.sent_at[userid])
        rows.append(row)
    for target, status in task.failed.items():
        rows.append({field: target, "userid": userid, "status": status})
    return {"send_list": rows, "next_cursor": ""}


def _sent_by(ctx: Ctx, task: MassTask, target: str) -> str:
    if task.sender:
        return task.sender
    if task.chat_type == "group":
        return ctx.state.groups[target].owner
    followers = sorted(f.userid for f in ctx.state.follows.values() if f.external_userid == target)
    return followers[0] if followers else ""


@router.route("externalcontact/remind_groupmsg_send")
async def remind_groupmsg_send(ctx: Ctx) -> JsonDict:
    task = _task(ctx)
    if task.cancelled or all(member in task.sent_at for member in task.members):
        raise ApiError(41064, "nothing left to remind of")  # unconfirmed errcode
    recent = [at for at in task.reminders if ctx.now - at < DAY]
    if len(recent) >= REMINDERS_PER_DAY:
        raise ApiError(41065, "remind limit reached in 24 hours")  # unconfirmed errcode
    task.reminders.append(ctx.now)
    return {}


@router.route("externalcontact/cancel_groupmsg_send")
async def cancel_groupmsg_send(ctx: Ctx) -> JsonDict:
    task = _task(ctx)
    if task.cancelled or all(member in task.sent_at for member in task.members):
        raise ApiError(41066, "already sent or cancelled")  # unconfirmed errcode
    task.cancelled = True
    return {}


@router.route("externalcontact/groupchat/list")
async def list_group_chats(ctx: Ctx) -> JsonDict:
    """Customer groups (doc 92120): `owner_filter.userid_list` (≤100), `limit` 1-1000 a page,
    `cursor`; each row `chat_id` and `status` (0 normal; the sandbox has no others)."""
    limit = _limit(ctx, 1000)
    owner_filter = ctx.body.get("owner_filter") or {}
    owners = owner_filter.get("userid_list", []) if isinstance(owner_filter, dict) else []
    if not isinstance(owners, list) or len(owners) > 100:
        raise invalid("owner_filter.userid_list", "at most 100 members")
    chats = sorted(c.chat_id for c in ctx.state.groups.values() if not owners or c.owner in owners)
    page, next_cursor = offset_page(chats, as_str(ctx.body.get("cursor"), "cursor"), limit)
    return {
        "group_chat_list": [{"chat_id": chat_id, "status": 0} for chat_id in page],
        "next_cursor": next_cursor,
    }
