"""App messages to staff (`message/send`, doc 90236) and WeChat Customer Service pulls
(`kf/sync_msg`, doc 94670)."""

from __future__ import annotations

import json
import re

from bot.sandbox.dispatch import APP_TOKEN, Ctx, EndpointTable
from bot.sandbox.limits import (
    ApiError,
    JsonDict,
    as_dict,
    as_int,
    as_list,
    as_str,
    invalid,
    max_bytes,
    max_chars,
    text_content,
    utf8_len,
)
from bot.sandbox.state import AppMessage, KfReply

router = EndpointTable()

PER_MINUTE, PER_HOUR = 30, 1000  # per app and member; the excess is dropped silently
MAX_TOUSER, MAX_TOPARTY = 1000, 100
KF_TOKEN_LIFETIME = 600
KF_RETENTION = 3 * 86400
MSGTYPES = frozenset(
    ("text", "markdown", "textcard", "news", "template_card", "image", "voice", "video", "file")
)
CARD_TYPES = (
    "text_notice",
    "news_notice",
    "button_interaction",
    "vote_interaction",
    "multiple_interaction",
)


def _content(ctx: Ctx, msgtype: str) -> JsonDict:
    """The validated `msgtype` object of the request."""
    body = as_dict(ctx.body.get(msgtype), msgtype)
    if msgtype in ("text", "markdown"):
        content = as_str(body.get("content"), f"{msgtype}.content")
        if not content:
            raise ApiError(44004)
        if utf8_len(content) > 2048:
            raise ApiError(45002, f"{msgtype}.content exceed max length 2048")
        return {"content": content}
    if msgtype == "textcard":
        if not body.get("title"):
            raise ApiError(41016)
        if not body.get("description"):
            raise ApiError(41033)
        if not body.get("url"):
            raise ApiError(41010)
        # unconfirmed: the docs also speak of truncation; the sandbox refuses oversize cards
        return {
            "title": max_bytes(body.get("title"), "textcard.title", 128),
            "description": max_bytes(body.get("description"), "textcard.description", 512),
            "url": max_bytes(body.get("url"), "textcard.url", 2048),
            "btntxt": max_chars(body.get("btntxt"), "textcard.btntxt", 4),
        }
    if msgtype == "news":
        articles = as_list(body.get("articles"), "news.articles")
        if not articles:
            raise invalid("news.articles", "is empty")
        if len(articles) > 8:
            raise ApiError(45008)
        result = []
        for item in articles:
            article = as_dict(item, "news.articles")
            if not article.get("title"):
                raise ApiError(41016)
            if not article.get("url") and not article.get("appid"):
                raise ApiError(41010)
            max_bytes(article.get("title"), "news.articles.title", 128)
            max_bytes(article.get("description"), "news.articles.description", 512)
            result.append(article)
        return {"articles": result}
    if msgtype == "template_card":
        if body.get("card_type") not in CARD_TYPES:
            raise invalid("template_card.card_type")
        return body
    media_id = as_str(body.get("media_id"), f"{msgtype}.media_id")  # image voice video file
    if not media_id:
        raise ApiError(41006)
    if not ctx.sandbox.media_ok(media_id, msgtype):
        raise ApiError(40007)
    return {"media_id": media_id}


def _split(value: object, field: str) -> list[str]:
    text = as_str(value, field)
    return [part.strip() for part in text.split("|") if part.strip()]


def _rate_limited(ctx: Ctx, userid: str) -> str:
    """Why WeCom would drop one more message to `userid` now, or ""."""
    times = [m.time for m in ctx.state.app_messages if m.userid == userid and m.delivered]
    if sum(1 for t in times if ctx.now - t < 60) >= PER_MINUTE:
        return "rate_limit_minute"
    if sum(1 for t in times if ctx.now - t < 3600) >= PER_HOUR:
        return "rate_limit_hour"
    return ""


@router.route("message/send", auth=APP_TOKEN)
async def message_send(ctx: Ctx) -> JsonDict:
    body = ctx.body
    if body.get("agentid") is None:
        raise ApiError(41011)
    try:
        agentid = as_int(body.get("agentid"), "agentid")
    except ApiError:
        raise ApiError(40056) from None
    if agentid != ctx.sandbox.agent_id:
        raise ApiError(40056)  # the sandbox corp has a single app
    msgtype = as_str(body.get("msgtype"), "msgtype")
    if msgtype not in MSGTYPES:
        raise ApiError(40008)
    content = _content(ctx, msgtype)
    users = _split(body.get("touser"), "touser")
    parties = _split(body.get("toparty"), "toparty")
    tags = _split(body.get("totag"), "totag")
    if not users and not parties and not tags:
        raise ApiError(82001)  # unconfirmed: 81012 is also documented for this
    if len(users) > MAX_TOUSER:
        raise ApiError(40032)
    if len(parties) > MAX_TOPARTY:
        raise ApiError(82002)
    recipients: dict[str, None] = {}
    invalid_users, invalid_parties = [], []
    if users == ["@all"]:
        recipients.update(dict.fromkeys(ctx.state.staff))
        parties, tags = [], []
    else:
        for userid in users:
            known = next((s for s in ctx.state.staff if s.lower() == userid.lower()), None)
            if known is None:
                invalid_users.append(userid.lower())
            else:
                recipients[known] = None
    for party in parties:
        members = ctx.state.department_members(int(party)) if party.isdigit() else []
        if not members:
            invalid_parties.append(party)
        recipients.update(dict.fromkeys(members))
    if not recipients:
        raise ApiError(81013)
    msgid = ctx.state.new_id("", 40)
    duplicate = ""
    if body.get("enable_duplicate_check") in (1, "1", True):
        interval = as_int(body.get("duplicate_check_interval"), "interval", default=1800)
        key = json.dumps(body, sort_keys=True, ensure_ascii=False)
        last = ctx.state.app_msg_dupes.get(key)
        if last is not None and ctx.now - last < interval:
            duplicate = "duplicate"
        else:
            ctx.state.app_msg_dupes[key] = ctx.now
    for userid in recipients:
        reason = duplicate or _rate_limited(ctx, userid)
        ctx.state.app_messages.append(
            AppMessage(msgid, userid, msgtype, content, ctx.now, not reason, reason)
        )
    result: JsonDict = {"msgid": msgid}
    if invalid_users:
        result["invaliduser"] = "|".join(invalid_users)
    if invalid_parties:
        result["invalidparty"] = "|".join(invalid_parties)
    if tags:  # the sandbox has no contact-book tags, so every tag is invalid
        result["invalidtag"] = "|".join(tags)
    return result


@router.route("kf/sync_msg", auth=APP_TOKEN)
async def kf_sync_msg(ctx: Ctx) -> JsonDict:
    state = ctx.state
    open_kfid = as_str(ctx.body.get("open_kfid"), "open_kfid")
    if not open_kfid:
        raise ApiError(95000)
    if open_kfid not in state.kf_accounts:
        raise ApiError(95004)
    token = as_str(ctx.body.get("token"), "token")
    if token:
        known = state.kf_tokens.get(token)
        if known is None or known.owner != open_kfid or ctx.now >= known.expires_at:
            raise ApiError(95007)  # unconfirmed errcode for an unknown or expired token
    limit = as_int(ctx.body.get("limit"), "limit", default=1000)
    if not 1 <= limit <= 1000:
        raise invalid("limit", "must be 1-1000")
    cursor = as_str(ctx.body.get("cursor"), "cursor")
    start = 0
    if cursor:
        position = state.kf_cursors.get(cursor)
        if position is None or position[0] != open_kfid:
            raise ApiError(50100)  # unconfirmed errcode for an unknown cursor
        start = position[1]
    queue = state.kf_messages.get(open_kfid, [])
    # WeCom may answer with fewer messages than asked for; tests set a page size to page
    page = queue[start : start + min(limit, ctx.sandbox.kf_page_size or limit)]
    end = start + len(page)
    next_cursor = state.new_id("", 20)
    state.kf_cursors[next_cursor] = (open_kfid, end)
    return {
        "next_cursor": next_cursor,
        "has_more": 1 if end < len(queue) else 0,
        "msg_list": [
            {
                "msgid": m.msgid,
                "open_kfid": m.open_kfid,
                "external_userid": m.external_userid,
                "send_time": m.send_time,
                "origin": m.origin,
                "msgtype": "text",
                "text": {"content": m.content},
            }
            for m in page
            if ctx.now - m.send_time < KF_RETENTION
        ],
    }


KF_REPLY_WINDOW = 48 * 3600
KF_REPLIES_PER_MESSAGE = 5
_KF_MSGID = re.compile(r"[0-9a-zA-Z_-]{1,32}")


@router.route("kf/send_msg", auth=APP_TOKEN)
async def kf_send_msg(ctx: Ctx) -> JsonDict:
    """A reply to a customer: only within 48 h of their last message to that account, at most
    5 replies since it (95018 otherwise, the session not open for sending)."""
    state = ctx.state
    open_kfid = as_str(ctx.body.get("open_kfid"), "open_kfid")
    touser = as_str(ctx.body.get("touser"), "touser")
    if not open_kfid or not touser:
        raise ApiError(95000)
    if open_kfid not in state.kf_accounts:
        raise ApiError(95004)
    theirs = [
        m.send_time
        for m in state.kf_messages.get(open_kfid, [])
        if m.external_userid == touser and m.origin == 3
    ]
    last = max(theirs, default=None)
    if last is None or ctx.now - last > KF_REPLY_WINDOW:
        raise ApiError(95018, "send msg session status invalid")
    since = [r for r in state.kf_replies if r.open_kfid == open_kfid and r.touser == touser]
    if sum(r.sent_at >= last for r in since) >= KF_REPLIES_PER_MESSAGE:
        raise ApiError(95018, "send msg session status invalid")  # unconfirmed for this case
    msgtype = as_str(ctx.body.get("msgtype"), "msgtype")
    if msgtype == "text":
        content = {"content": text_content(ctx.body, "text", 2048)}
    elif msgtype == "image":
        body = ctx.body.get("image")
        media_id = body.get("media_id") if isinstance(body, dict) else None
        if not isinstance(media_id, str) or not ctx.sandbox.media_ok(media_id, "image"):
            raise ApiError(40007)
        content = {"media_id": media_id}
    else:
        raise invalid("msgtype", "text or image in the sandbox")
    msgid = as_str(ctx.body.get("msgid"), "msgid") or state.new_id("", 32)
    if not _KF_MSGID.fullmatch(msgid):
        raise invalid("msgid")
    state.kf_replies.append(KfReply(msgid, open_kfid, touser, msgtype, content, ctx.now))
    return {"msgid": msgid}
