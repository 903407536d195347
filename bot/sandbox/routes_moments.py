"""Moments tasks (客户朋友圈 企业发表, docs 95094, 93333, 97612).

`add_moment_task`: text ≤2,000 characters; attachments ≤9 images, or 1 video, or 1 link,
each media id made by `media/upload_attachment` with attachment_type 2; visible_range names
the members (users, departments) who publish and the customer tags who may see it (none: all
of each member's customers). It answers a `jobid`: `get_moment_task_result` (GET) then says
status 1 (started), 2 (creating) and, from `CREATE_SECONDS` of sandbox time on, 3 (done) with
`result{moment_id, invalid_sender_list, invalid_external_contact_list}`. REFERENCE.md §7 read
the statuses as 1 running / 2 done / 3 failed; the docs' own text and the SDKs that quote it
say 1 started / 2 creating / 3 done, a failure being the result's errcode — followed here.
Members publish in their client (`Sandbox.member_publishes_moment`); `get_moment_task` pages
their publish_status (0 not yet, 1 published), `get_moment_send_result` the customers who can
see a member's post, `get_moment_comments` comments and likes; `cancel_moment_task` stops it
while someone hasn't published. Errcodes the docs don't name are marked unconfirmed."""

from __future__ import annotations

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, as_str, invalid, offset_page, str_list
from bot.sandbox.state import Moment

router = EndpointTable()

MAX_TEXT = 2000
MAX_IMAGES = 9
CREATE_SECONDS = 2.0  # sandbox seconds from add_moment_task to status 3


def _attachments(ctx: Ctx) -> list[JsonDict]:
    items = ctx.body.get("attachments") or []
    if not isinstance(items, list):
        raise invalid("attachments")
    kinds = [item.get("msgtype") if isinstance(item, dict) else None for item in items]
    if any(kind not in ("image", "video", "link") for kind in kinds):
        raise invalid("attachments", "msgtype must be image, video or link")
    if ("video" in kinds or "link" in kinds) and len(kinds) > 1:
        raise invalid("attachments", "a video or a link goes alone")
    if len(kinds) > MAX_IMAGES:
        raise invalid("attachments", f"at most {MAX_IMAGES} images")
    for item, kind in zip(items, kinds, strict=True):
        body = item.get(kind) or {}
        media_id = str(body.get("media_id", ""))
        if kind == "link" and not str(body.get("url", "")).startswith(("http://", "https://")):
            raise invalid("attachments.link.url")
        if kind != "link" or media_id:
            media = ctx.state.media.get(media_id)
            if (
                media is None
                or media.attachment_type != 2
                or media.type != ("image" if kind == "link" else kind)
            ):
                raise ApiError(40007, "invalid media_id: upload it with attachment_type 2")
    return list(items)


@router.route("externalcontact/add_moment_task")
async def add_moment_task(ctx: Ctx) -> JsonDict:
    text = ctx.body.get("text") or {}
    content = str(text.get("content", "")) if isinstance(text, dict) else ""
    if len(content) > MAX_TEXT:
        raise invalid("text.content", f"at most {MAX_TEXT} characters")
    attachments = _attachments(ctx)
    if not content and not attachments:
        raise invalid("text", "and attachments are both empty")  # unconfirmed errcode
    visible = ctx.body.get("visible_range") or {}
    senders = visible.get("sender_list") or {}
    users = str_list(senders.get("user_list"), "user_list", 10000)
    departments = [int(d) for d in senders.get("department_list") or []]
    tags = str_list((visible.get("external_contact_list") or {}).get("tag_list"), "tag_list", 100)
    valid = [u for u in users if u in ctx.state.staff]
    for department in departments:
        valid += [u for u in ctx.state.department_members(department) if u not in valid]
    jobid = ctx.state.new_id("job", 20)
    moment = Moment(jobid, ctx.state.new_id("mom", 28), content, attachments, valid, tags, ctx.now)
    moment.invalid_users = [u for u in users if u not in ctx.state.staff]
    known_departments = {d for s in ctx.state.staff.values() for d in s.department}
    moment.invalid_departments = [d for d in departments if d not in known_departments]
    moment.invalid_tags = [t for t in tags if t not in ctx.state.tags]
    ctx.state.moments[jobid] = moment
    return {"jobid": jobid}


@router.route("externalcontact/get_moment_task_result")
async def get_moment_task_result(ctx: Ctx) -> JsonDict:
    moment = ctx.state.moments.get(ctx.query.get("jobid", ""))
    if moment is None:
        raise ApiError(40009, "invalid jobid")  # unconfirmed errcode
    elapsed = ctx.now - moment.created
    if elapsed < CREATE_SECONDS / 2:
        return {"status": 1, "type": "add_moment_task"}
    if elapsed < CREATE_SECONDS:
        return {"status": 2, "type": "add_moment_task"}
    result: JsonDict = {"errcode": 0, "errmsg": "ok", "moment_id": moment.moment_id}
    if moment.invalid_users or moment.invalid_departments:
        result["invalid_sender_list"] = {
            "user_list": moment.invalid_users,
            "department_list": moment.invalid_departments,
        }
    if moment.invalid_tags:
        result["invalid_external_contact_list"] = {"tag_list": moment.invalid_tags}
    return {"status": 3, "type": "add_moment_task", "result": result}


def _moment(ctx: Ctx) -> Moment:
    moment_id = as_str(ctx.body.get("moment_id"), "moment_id")
    for moment in ctx.state.moments.values():
        if moment.moment_id == moment_id and ctx.now - moment.created >= CREATE_SECONDS:
            return moment
    raise ApiError(41069, "invalid moment_id")  # unconfirmed errcode


@router.route("externalcontact/get_moment_task")
async def get_moment_task(ctx: Ctx) -> JsonDict:
    moment = _moment(ctx)
    rows = [
        {"userid": member, "publish_status": 1 if member in moment.published else 0}
        for member in moment.senders
    ]
    return _page(ctx, rows, "task_list", 1000)


def _sees(ctx: Ctx, moment: Moment, member: str) -> list[str]:
    customers = []
    for (userid, customer), follow in sorted(ctx.state.follows.items()):
        if userid == member and (not moment.tags or set(moment.tags) & set(follow.tag_ids)):
            customers.append(customer)
    return customers


@router.route("externalcontact/get_moment_send_result")
async def get_moment_send_result(ctx: Ctx) -> JsonDict:
    moment = _moment(ctx)
    member = as_str(ctx.body.get("userid"), "userid")
    customers = _sees(ctx, moment, member) if member in moment.published else []
    return _page(ctx, [{"external_userid": c} for c in customers], "customer_list", 5000)


@router.route("externalcontact/get_moment_comments")
async def get_moment_comments(ctx: Ctx) -> JsonDict:
    moment = _moment(ctx)
    member = as_str(ctx.body.get("userid"), "userid")

    def rows(items: list[tuple[str, str, float]]) -> list[JsonDict]:
        return [{"external_userid": c, "create_time": int(at)} for m, c, at in items if m == member]

    return {"comment_list": rows(moment.comments), "like_list": rows(moment.likes)}


@router.route("externalcontact/cancel_moment_task")
async def cancel_moment_task(ctx: Ctx) -> JsonDict:
    moment = _moment(ctx)
    if moment.cancelled or all(m in moment.published for m in moment.senders):
        raise ApiError(41070, "already published or cancelled")  # unconfirmed errcode
    moment.cancelled = True
    return {}


def _page(ctx: Ctx, rows: list[JsonDict], field: str, most: int) -> JsonDict:
    limit = int(ctx.body.get("limit") or most)
    if not 1 <= limit <= most:
        raise invalid("limit", f"must be 1-{most}")
    page, next_cursor = offset_page(rows, str(ctx.body.get("cursor") or ""), limit)
    return {field: page, "next_cursor": next_cursor}
