"""WeCom's own statistics of customer contact (docs 92132, 92133).

`get_user_behavior_data {userid[], partyid[], start_time, end_time}` answers one row a day
(`stat_time`, the day's 00:00 China time) summed over the members asked for: new_contact_cnt
(relations the sandbox saw made that day), chat_cnt, message_cnt, reply_percentage,
avg_reply_time, negative_feedback_cnt, new_apply_cnt — the counts WeCom has but the sandbox
doesn't model come from `Sandbox.behavior_extra[(userid, day)]`, which tests also use to make
WeCom's figures differ from the bot's. The span is at most 30 days, within the last 180.
`groupchat/statistic_group_by_day {day_begin_time, day_end_time, owner_filter}` answers one row
a day with the owners' groups' figures (chat_total, member_total, new_member_cnt …, only those
the sandbox knows: chat_total and member_total). Errcodes the docs don't name are unconfirmed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import CORP_TIME
from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, invalid, str_list

router = EndpointTable()

DAY = 86400
MAX_SPAN_DAYS = 30
KEPT_DAYS = 180
FIELDS = (
    "chat_cnt",
    "message_cnt",
    "reply_percentage",
    "avg_reply_time",
    "negative_feedback_cnt",
    "new_apply_cnt",
    "new_contact_cnt",
)


def _days(ctx: Ctx, start: int, end: int) -> list[int]:
    if end < start or end - start > MAX_SPAN_DAYS * DAY:
        raise ApiError(40058, f"the span is at most {MAX_SPAN_DAYS} days")  # unconfirmed
    if ctx.now - start > KEPT_DAYS * DAY:
        raise ApiError(40058, f"only the last {KEPT_DAYS} days are kept")  # unconfirmed
    first = datetime.fromtimestamp(start, CORP_TIME).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    days = []
    while first.timestamp() <= end:
        days.append(int(first.timestamp()))
        first += timedelta(days=1)
    return days


@router.route("externalcontact/get_user_behavior_data")
async def get_user_behavior_data(ctx: Ctx) -> JsonDict:
    users = str_list(ctx.body.get("userid"), "userid", 100)
    parties = [int(p) for p in ctx.body.get("partyid") or []]
    for party in parties:
        users += [u for u in ctx.state.department_members(party) if u not in users]
    if not users:
        raise invalid("userid", "userid or partyid is required")
    rows = []
    for day in _days(ctx, int(ctx.body.get("start_time") or 0), int(ctx.body.get("end_time") or 0)):
        row: JsonDict = {"stat_time": day} | dict.fromkeys(FIELDS, 0)
        row["new_contact_cnt"] = sum(
            1
            for f in ctx.state.follows.values()
            if f.userid in users and day <= f.createtime < day + DAY
        )
        for user in users:
            for name, value in ctx.sandbox.behavior_extra.get((user, day), {}).items():
                row[name] = row.get(name, 0) + value
        rows.append(row)
    return {"behavior_data": rows}


@router.route("externalcontact/groupchat/statistic_group_by_day")
async def statistic_group_by_day(ctx: Ctx) -> JsonDict:
    owners = (ctx.body.get("owner_filter") or {}).get("userid_list") or []
    if not isinstance(owners, list) or len(owners) > 100:
        raise invalid("owner_filter.userid_list", "at most 100 members")
    start = int(ctx.body.get("day_begin_time") or 0)
    end = int(ctx.body.get("day_end_time") or start)
    items = []
    for day in _days(ctx, start, end):
        chats = [c for c in ctx.state.groups.values() if not owners or c.owner in owners]
        data = {"chat_total": len(chats), "member_total": sum(len(c.members) for c in chats)}
        items.append({"stat_time": day, "data": data})
    return {"items": items}
