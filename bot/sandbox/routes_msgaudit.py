"""The chat archive's consent check (同意存档, doc 91782): `msgaudit/check_single_agree` with
the archive app's token; `info` ≤ 100 (userid, exteranalopenid — WeCom's spelling) pairs,
each answered with `agree_status` Agree or Disagree (`Sandbox.archive_consent`, Agree unset);
`check_room_agree` answers a group's votes (`Sandbox.archive_room_votes`: customer -> 1 agreed,
2 refused; a customer not listed hasn't voted), or the errcode `Sandbox.archive_room_errors`
sets for a group."""

from __future__ import annotations

from bot.sandbox.dispatch import ARCHIVE_TOKEN, Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, invalid

router = EndpointTable()


@router.route("msgaudit/check_single_agree", auth=ARCHIVE_TOKEN)
async def check_single_agree(ctx: Ctx) -> JsonDict:
    pairs = ctx.body.get("info")
    if not isinstance(pairs, list) or not 1 <= len(pairs) <= 100:
        raise invalid("info", "1-100 pairs")
    rows = []
    for pair in pairs:
        userid = str(pair.get("userid", "")) if isinstance(pair, dict) else ""
        external = str(pair.get("exteranalopenid", "")) if isinstance(pair, dict) else ""
        status = ctx.sandbox.archive_consent.get((userid, external), "Agree")
        rows.append({"userid": userid, "exteranalopenid": external, "agree_status": status,
                     "status_change_time": int(ctx.now)})  # fmt: skip
    return {"agreeinfo": rows}


@router.route("msgaudit/check_room_agree", auth=ARCHIVE_TOKEN)
async def check_room_agree(ctx: Ctx) -> JsonDict:
    roomid = ctx.body.get("roomid")
    if not isinstance(roomid, str) or not roomid:
        raise invalid("roomid", "a group chat id")
    if roomid in ctx.sandbox.archive_room_errors:
        raise ApiError(ctx.sandbox.archive_room_errors[roomid])
    votes = ctx.sandbox.archive_room_votes.get(roomid, {})
    return {"voteinfo": [{"voter_ucid": ucid, "vote_time": int(ctx.now), "vote_status": status}
                         for ucid, status in sorted(votes.items())]}  # fmt: skip
