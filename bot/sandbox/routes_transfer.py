"""Inheritance (继承): customers and groups of a member handed to others (docs 92124, 92125,
92127, 93242).

Resigned members (`Sandbox.member_resigns`): `get_unassigned_list` pages their customers
(`page_size` ≤ 1,000, `cursor`); `resigned/transfer_customer` hands ≤ 100 of one member's to a
takeover member, each answered with its own errcode; `resigned/transfer_result` says per
customer 1 taken over, 2 waiting, 3 refused, 4 takeover member full. On-job members:
`transfer_customer` (a `transfer_success_msg` ≤ 200 characters; a customer transferred twice in
90 days is refused), `transfer_result`. WeCom completes a takeover 24 hours later unless the
customer refuses (`Sandbox.settle_transfers` plays that out). Groups: `groupchat/transfer`
(groups whose owner resigned) and `groupchat/onjob_transfer` (≤ 100 chat ids; at most 300 a
day per old owner, errcode 90500 past it). Errcodes the docs don't name are marked
unconfirmed."""

from __future__ import annotations

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, as_str, invalid, offset_page, str_list
from bot.sandbox.state import Transfer

router = EndpointTable()

DAY = 86400
TAKEOVER_AFTER = DAY
TRANSFERS_IN_90_DAYS = 2
GROUPS_PER_DAY = 300
NOT_RESIGNED = 40097  # unconfirmed: the handover member is not a resigned one
NOT_THEIR_CUSTOMER = 84061  # unconfirmed: no relation between handover member and customer
IN_TRANSFER = 40100  # unconfirmed: the customer is already being transferred
TOO_OFTEN = 40128  # unconfirmed: transferred twice in 90 days already
GROUP_LIMIT = 90500


@router.route("externalcontact/get_unassigned_list")
async def get_unassigned_list(ctx: Ctx) -> JsonDict:
    size = int(ctx.body.get("page_size") or 1000)
    if not 1 <= size <= 1000:
        raise invalid("page_size", "must be 1-1000")
    rows = [
        {"handover_userid": f.userid, "external_userid": f.external_userid,
         "dimission_time": int(ctx.state.staff[f.userid].resigned_at)}
        for (userid, _), f in sorted(ctx.state.follows.items())
        if userid in ctx.state.staff and ctx.state.staff[userid].resigned_at
    ]  # fmt: skip
    page, next_cursor = offset_page(rows, as_str(ctx.body.get("cursor"), "cursor"), size)
    return {"info": page, "is_last": not next_cursor, "next_cursor": next_cursor}


def _transfer(ctx: Ctx, kind: str) -> JsonDict:
    handover = as_str(ctx.body.get("handover_userid"), "handover_userid")
    takeover = as_str(ctx.body.get("takeover_userid"), "takeover_userid")
    customers = str_list(ctx.body.get("external_userid"), "external_userid", 100)
    if not customers:
        raise invalid("external_userid", "missing")
    member = ctx.state.staff.get(handover)
    taker = ctx.state.staff.get(takeover)
    if member is None or taker is None or taker.resigned_at:
        raise ApiError(60111)  # userid not found
    if (kind == "resigned") != bool(member.resigned_at):
        raise ApiError(NOT_RESIGNED, "handover member's state doesn't fit this call")
    message = ""
    if kind == "onjob":
        message = as_str(ctx.body.get("transfer_success_msg"), "transfer_success_msg")
        if len(message) > 200:
            raise invalid("transfer_success_msg", "at most 200 characters")
    answers = []
    for customer in customers:
        answers.append(
            {"external_userid": customer, "errcode": _check(ctx, kind, handover, customer)}
        )
        if answers[-1]["errcode"] == 0:
            ctx.state.transfers.append(
                Transfer(kind, handover, takeover, customer, ctx.now, message=message)
            )
    return {"customer": answers}


def _check(ctx: Ctx, kind: str, handover: str, customer: str) -> int:
    if ctx.state.follow(handover, customer) is None:
        return NOT_THEIR_CUSTOMER
    mine = [t for t in ctx.state.transfers if t.external_userid == customer]
    if any(t.status == 2 for t in mine):
        return IN_TRANSFER
    recent = [t for t in mine if t.kind == "onjob" and ctx.now - t.at < 90 * DAY]
    if kind == "onjob" and len(recent) >= TRANSFERS_IN_90_DAYS:
        return TOO_OFTEN
    return 0


@router.route("externalcontact/resigned/transfer_customer")
async def resigned_transfer_customer(ctx: Ctx) -> JsonDict:
    return _transfer(ctx, "resigned")


@router.route("externalcontact/transfer_customer")
async def transfer_customer(ctx: Ctx) -> JsonDict:
    return _transfer(ctx, "onjob")


def _result(ctx: Ctx, kind: str) -> JsonDict:
    handover = as_str(ctx.body.get("handover_userid"), "handover_userid")
    takeover = as_str(ctx.body.get("takeover_userid"), "takeover_userid")
    rows = [
        {"external_userid": t.external_userid, "status": t.status,
         "takeover_time": int(t.takeover_time)}
        for t in ctx.state.transfers
        if (t.kind, t.handover, t.takeover) == (kind, handover, takeover)
    ]  # fmt: skip
    page, next_cursor = offset_page(rows, as_str(ctx.body.get("cursor"), "cursor"), 1000)
    return {"customer": page, "next_cursor": next_cursor}


@router.route("externalcontact/resigned/transfer_result")
async def resigned_transfer_result(ctx: Ctx) -> JsonDict:
    return _result(ctx, "resigned")


@router.route("externalcontact/transfer_result")
async def transfer_result(ctx: Ctx) -> JsonDict:
    return _result(ctx, "onjob")


def _groups(ctx: Ctx, resigned: bool) -> JsonDict:
    chats = str_list(ctx.body.get("chat_id_list"), "chat_id_list", 100)
    if not chats:
        raise invalid("chat_id_list", "1-100 chat ids")
    owner = as_str(ctx.body.get("new_owner"), "new_owner")
    taker = ctx.state.staff.get(owner)
    if taker is None or taker.resigned_at:
        raise ApiError(60111)
    failed = []
    for chat_id in chats:
        errcode = _group_check(ctx, chat_id, resigned)
        if errcode:
            failed.append({"chat_id": chat_id, "errcode": errcode, "errmsg": "failed"})
            continue
        chat = ctx.state.groups[chat_id]
        ctx.state.group_transfers.append((chat.owner, chat_id, ctx.now))
        chat.owner = owner
        if owner not in chat.members:
            chat.members.append(owner)
    return {"failed_chat_list": failed}


def _group_check(ctx: Ctx, chat_id: str, resigned: bool) -> int:
    chat = ctx.state.groups.get(chat_id)
    if chat is None:
        return 40050  # unconfirmed errcode
    old = ctx.state.staff.get(chat.owner)
    if old is None or bool(old.resigned_at) != resigned:
        return NOT_RESIGNED
    today = [t for t in ctx.state.group_transfers if t[0] == chat.owner and ctx.now - t[2] < DAY]
    return GROUP_LIMIT if len(today) >= GROUPS_PER_DAY else 0


@router.route("externalcontact/groupchat/transfer")
async def groupchat_transfer(ctx: Ctx) -> JsonDict:
    return _groups(ctx, resigned=True)


@router.route("externalcontact/groupchat/onjob_transfer")
async def groupchat_onjob_transfer(ctx: Ctx) -> JsonDict:
    return _groups(ctx, resigned=False)
