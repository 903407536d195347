"""Customer profiles, welcome messages, group welcome templates and mass messages.

Docs: externalcontact/get 92114, send_welcome_msg 92599, group_welcome_template 92366,
add_msg_template 92135.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone

from bot.sandbox.attachments import ATTACHMENT_TYPES, validate_attachments, validate_one
from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import (
    ApiError,
    JsonDict,
    as_str,
    invalid,
    offset_page,
    str_list,
    text_content,
)
from bot.sandbox.state import FollowUser, MassTask, WelcomeDelivery

router = EndpointTable()

WELCOME_CODE_LIFETIME = 20
MAX_GROUP_TEMPLATES = 100
CHINA = timezone(timedelta(hours=8))  # WeCom's months are China's calendar months


def follow_json(ctx: Ctx, follow: FollowUser) -> JsonDict:
    tags = []
    for tag_id in follow.tag_ids:
        tag = ctx.state.tags.get(tag_id)
        if tag is None:
            continue
        group = ctx.state.tag_groups[tag.group_id]
        tags.append(
            {"group_name": group.group_name, "tag_name": tag.name, "tag_id": tag.id, "type": 1}
        )
    return {
        "userid": follow.userid,
        "remark": follow.remark,
        "description": follow.description,
        "createtime": follow.createtime,
        "tags": tags,
        "remark_corp_name": "",
        "remark_mobiles": [],
        "oper_userid": follow.userid,
        "add_way": follow.add_way,
        "state": follow.state,
    }


@router.route("externalcontact/get")
async def get_contact(ctx: Ctx) -> JsonDict:
    external_userid = ctx.query.get("external_userid", "")
    if not external_userid:
        raise ApiError(41035)
    contact = ctx.state.contacts.get(external_userid)
    if contact is None:
        raise ApiError(40096)
    follows = ctx.state.followers(external_userid)
    if not follows:
        raise ApiError(84061)
    profile = _contact_json(ctx, external_userid)
    follows.sort(key=lambda f: f.createtime)
    return {
        "external_contact": profile,
        "follow_user": [follow_json(ctx, f) for f in follows],
        "next_cursor": "",
    }


def _contact_json(ctx: Ctx, external_userid: str) -> JsonDict:
    contact = ctx.state.contacts[external_userid]
    profile: JsonDict = {
        "external_userid": contact.external_userid,
        "name": contact.name,
        "avatar": contact.avatar,
        "type": contact.type,
        "gender": contact.gender,
    }
    if contact.unionid:
        profile["unionid"] = contact.unionid
    if contact.type == 2 or contact.corp_name:
        profile["corp_name"] = contact.corp_name
    return profile


@router.route("externalcontact/batch/get_by_user")
async def batch_get_by_user(ctx: Ctx) -> JsonDict:
    """Customers of up to 100 members, each with one member's follow info, paged by an
    opaque cursor (doc 92994; limit 1–100, default 50)."""
    userids = ctx.body.get("userid_list")
    if not isinstance(userids, list) or not userids or len(userids) > 100:
        raise invalid("userid_list", "must list 1-100 userids")  # unconfirmed errcode
    limit = min(max(int(ctx.body.get("limit") or 50), 1), 100)
    wanted = {str(u) for u in userids}
    follows = sorted(
        (f for f in ctx.state.follows.values() if f.userid in wanted),
        key=lambda f: (f.userid, f.external_userid),
    )
    page, next_cursor = offset_page(follows, str(ctx.body.get("cursor") or ""), limit)
    listed = []
    for follow in page:
        info = follow_json(ctx, follow)
        info["tag_id"] = [t["tag_id"] for t in info.pop("tags")]
        listed.append(
            {"external_contact": _contact_json(ctx, follow.external_userid), "follow_info": info}
        )
    return {"external_contact_list": listed, "next_cursor": next_cursor}


@router.route("externalcontact/send_welcome_msg")
async def send_welcome_msg(ctx: Ctx) -> JsonDict:
    value = as_str(ctx.body.get("welcome_code"), "welcome_code")
    if not value:
        raise ApiError(41049)
    code = ctx.state.welcome_codes.get(value)
    if code is None or ctx.now - code.issued_at >= WELCOME_CODE_LIFETIME:
        raise ApiError(41050)
    follow = ctx.state.follow(code.userid, code.external_userid)
    if code.used_at is not None or follow is None or follow.chat_started:
        raise ApiError(41051)
    text = text_content(ctx.body, "text", 4000)
    attachments = validate_attachments(ctx.body.get("attachments"), ctx.sandbox.media_ok)
    if not text and not attachments:
        raise invalid("text", "and attachments are both empty")  # unconfirmed errcode
    code.used_at = ctx.now
    follow.chat_started = True
    ctx.state.welcomes.append(
        WelcomeDelivery(code.userid, code.external_userid, code.code, text, attachments, ctx.now)
    )
    return {}


def _template_content(ctx: Ctx) -> JsonDict:
    content: JsonDict = {}
    text = text_content(ctx.body, "text", 3000)
    if text:
        content["text"] = {"content": text}
    for msgtype in ATTACHMENT_TYPES:
        if ctx.body.get(msgtype) is not None:
            content[msgtype] = validate_one(
                msgtype, ctx.body[msgtype], msgtype, ctx.sandbox.media_ok
            )
    if not content:  # unconfirmed errcode; doc: "text、image、link... 不能全部为空"
        raise invalid("text", "image, link, miniprogram, file and video are all empty")
    return content


def _template_id(ctx: Ctx) -> str:
    template_id = as_str(ctx.body.get("template_id"), "template_id")
    if template_id not in ctx.state.group_templates:
        raise invalid("template_id")  # unconfirmed errcode
    return template_id


@router.route("externalcontact/group_welcome_template/add")
async def add_group_template(ctx: Ctx) -> JsonDict:
    if len(ctx.state.group_templates) >= MAX_GROUP_TEMPLATES:
        raise ApiError(41055)
    content = _template_content(ctx)
    template_id = ctx.state.new_id("msg", 24)
    ctx.state.group_templates[template_id] = content
    return {"template_id": template_id}


@router.route("externalcontact/group_welcome_template/edit")
async def edit_group_template(ctx: Ctx) -> JsonDict:
    template_id = _template_id(ctx)
    ctx.state.group_templates[template_id] = _template_content(ctx)
    return {}


@router.route("externalcontact/group_welcome_template/get")
async def get_group_template(ctx: Ctx) -> JsonDict:
    return dict(ctx.state.group_templates[_template_id(ctx)])


@router.route("externalcontact/group_welcome_template/del")
async def del_group_template(ctx: Ctx) -> JsonDict:
    del ctx.state.group_templates[_template_id(ctx)]
    return {}


def month_key(now: float) -> tuple[str, int]:
    """("YYYY-MM", days in that month) for the China calendar month of `now`."""
    day = datetime.fromtimestamp(now, CHINA)
    return f"{day.year:04d}-{day.month:02d}", calendar.monthrange(day.year, day.month)[1]


@router.route("externalcontact/add_msg_template")
async def add_msg_template(ctx: Ctx) -> JsonDict:
    chat_type = as_str(ctx.body.get("chat_type"), "chat_type") or "single"
    if chat_type not in ("single", "group"):
        raise invalid("chat_type")
    sender = as_str(ctx.body.get("sender"), "sender")
    if sender and sender not in ctx.state.staff:
        raise ApiError(40003)
    text = text_content(ctx.body, "text", 4000)
    attachments = validate_attachments(ctx.body.get("attachments"), ctx.sandbox.media_ok)
    if not text and not attachments:
        raise invalid("text", "and attachments are both empty")  # unconfirmed errcode
    if chat_type == "single":
        wanted = str_list(ctx.body.get("external_userid"), "external_userid", 10000)
        if not wanted:  # no list: every customer of the sender (or of the corp)
            wanted = [
                f.external_userid
                for f in ctx.state.follows.values()
                if not sender or f.userid == sender
            ]

        def reachable(target: str) -> bool:
            if sender:
                return ctx.state.follow(sender, target) is not None
            return bool(ctx.state.followers(target))
    else:
        if not sender:
            raise ApiError(41009, "missing sender")  # doc: required for group
        wanted = str_list(ctx.body.get("chat_id_list"), "chat_id_list", 2000)
        if not wanted:
            wanted = [c.chat_id for c in ctx.state.groups.values() if c.owner == sender]

        def reachable(target: str) -> bool:
            chat = ctx.state.groups.get(target)
            return chat is not None and chat.owner == sender

    month, days = month_key(ctx.now)
    recipients: list[str] = []
    failed: dict[str, int] = {}
    for target in dict.fromkeys(wanted):
        if not reachable(target):
            failed[target] = NOT_A_FRIEND
        elif ctx.state.mass_counts.get((target, month), 0) >= days:
            failed[target] = QUOTA_REACHED
        else:
            recipients.append(target)
    if not recipients:
        raise ApiError(41048)
    for target in recipients:
        ctx.state.mass_counts[(target, month)] = ctx.state.mass_counts.get((target, month), 0) + 1
    msgid = ctx.state.new_id("msg", 28)
    members = [sender] if sender else _senders(ctx, chat_type, recipients)
    fail_list = list(failed)
    task = MassTask(msgid, chat_type, sender, recipients, fail_list, text, attachments, ctx.now)
    task.members, task.failed = members, failed
    ctx.state.mass_tasks.append(task)
    return {"fail_list": fail_list, "msgid": msgid}


NOT_A_FRIEND, QUOTA_REACHED = 2, 3  # get_groupmsg_send_result's statuses of a left-out target


def _senders(ctx: Ctx, chat_type: str, recipients: list[str]) -> list[str]:
    """Without a sender, each member who has a recipient sends to theirs."""
    if chat_type == "group":
        return sorted({ctx.state.groups[c].owner for c in recipients})
    return sorted({f.userid for f in ctx.state.follows.values() if f.external_userid in recipients})


@router.route("externalcontact/groupchat/get")
async def get_group_chat(ctx: Ctx) -> JsonDict:
    """A customer group with its members (doc 92122); names only with `need_name` 1."""
    chat_id = as_str(ctx.body.get("chat_id"), "chat_id")
    if not chat_id:
        raise invalid("chat_id", "missing")  # unconfirmed errcode
    chat = ctx.state.groups.get(chat_id)
    if chat is None:
        raise ApiError(40050)  # unconfirmed errcode
    need_name = ctx.body.get("need_name") in (1, "1", True)
    members: list[JsonDict] = []
    for member in chat.members:
        staff = ctx.state.staff.get(member)
        contact = ctx.state.contacts.get(member)
        entry: JsonDict = {
            "userid": member,
            "type": 1 if staff else 2,
            "join_time": chat.joined.get(member, chat.create_time),
            "join_scene": 1,  # sandbox groups don't record how a member came in
            "group_nickname": "",
        }
        if staff is None and contact is not None and contact.unionid:
            entry["unionid"] = contact.unionid
        if need_name:
            entry["name"] = staff.name if staff else (contact.name if contact else "")
        members.append(entry)
    return {
        "group_chat": {
            "chat_id": chat.chat_id,
            "name": chat.name,
            "owner": chat.owner,
            "create_time": chat.create_time,
            "notice": "",
            "member_list": members,
            "admin_list": [],
            "member_version": chat.mem_ver,
        }
    }
