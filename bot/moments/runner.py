"""Making a moments task in WeCom and following it (docs 95094, 93333, 97612).

`launch` takes a new task (new → creating, once, so two workers make one WeCom task), uploads
its images or video as moments attachments, and calls `add_moment_task`: a job. `refresh`
reads the job's result until done (the `moment_id`, and the members and tags WeCom refused),
then each member's publish status and, for those who published, the customers who can see the
post and its comments and likes. `remind` messages the members who haven't published (at most
once a day each); `cancel` stops it while someone hasn't published.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.context import HandlerContext
from bot.moments.model import MomentError, MomentTask, validate
from bot.text.guard import BlockedText
from bot.wecom import WeComError
from bot.wecom.errors import WeComTransportError
from bot.wecom.transport import JsonDict

JOB_DONE = 3
GIVE_UP_DAYS = 7
REMIND_EVERY = 86400
log = logging.getLogger(__name__)


async def save_new(ctx: HandlerContext, task: MomentTask, by: str) -> MomentTask:
    validate(task)
    try:
        ctx.text.check_outgoing(task.text)
    except BlockedText as exc:
        raise MomentError(f"朋友圈文字：{exc}") from None
    for ref in (*task.images, task.video):
        if ref and not await ctx.services.media.exists(ref):
            raise MomentError(f"文件 {ref[:20]} 不在素材库中，请先上传")
    fresh = task.moved("new", id="", created_by=by, created_at=int(time.time()))
    return await ctx.services.moments.add(fresh)


async def launch(ctx: HandlerContext, task: MomentTask) -> MomentTask | None:
    """Make a new task's WeCom job; the task as it ends, or None when another process has it."""
    store = ctx.services.moments
    claimed = await store.move(task, task.moved("creating"))
    if claimed is None:
        return None
    try:
        attachments = await _attachments(ctx, task)
        jobid = await ctx.wecom.moments.add_task(
            task.text, attachments, list(task.staff), list(task.departments), list(task.tags)
        )
    except WeComTransportError as exc:  # no answer: it may exist; never made twice
        return await store.move(
            claimed, claimed.moved("unknown", error=f"企业微信未应答：{exc.errmsg}"[:200])
        )
    except WeComError as exc:
        return await store.move(
            claimed,
            claimed.moved(
                "failed",
                error=f"企业微信拒绝（{exc.errcode}）：{exc.explanation or exc.errmsg}"[:200],
            ),
        )
    return await store.move(claimed, claimed.moved("created", jobid=jobid))


async def _attachments(ctx: HandlerContext, task: MomentTask) -> list[JsonDict]:
    media = ctx.services.media
    out: list[JsonDict] = []
    for kind, refs in (("image", task.images), ("video", (task.video,) if task.video else ())):
        for ref in refs:
            content = await media.content(ref)
            if content is None:
                raise WeComError(-2, f"素材 {ref} 已不在库中", "media")
            media_id = await ctx.wecom.media.upload_attachment(kind, f"{ref}.{_ext(kind)}", content)
            out.append({"msgtype": kind, kind: {"media_id": media_id}})
    if task.link_url:
        out.append({"msgtype": "link", "link": {"title": task.link_title, "url": task.link_url}})
    return out


def _ext(kind: str) -> str:
    return "mp4" if kind == "video" else "png"


async def refresh(ctx: HandlerContext, task: MomentTask, now: float | None = None) -> MomentTask:
    """Read what changed in WeCom; the task as it is now."""
    store = ctx.services.moments
    now = time.time() if now is None else now
    if task.status != "created":
        return task
    if not task.moment_id:
        job = await ctx.wecom.moments.task_result(task.jobid)
        if int(job.get("status", 0)) != JOB_DONE:
            return task
        result = job.get("result") or {}
        if int(result.get("errcode", 0)):
            moved = task.moved(
                "failed",
                error=f"企业微信未建成（{result.get('errcode')}）：{result.get('errmsg', '')}"[
                    :200
                ],
            )
            return await store.move(task, moved) or task
        moved = task.moved(
            "created", moment_id=str(result.get("moment_id", "")), invalid=_invalid(result)
        )
        task = await store.move(task, moved) or task
    statuses = await ctx.wecom.moments.publish_status(task.moment_id)
    known = await store.members(task.id)
    rows: dict[str, dict[str, Any]] = {}
    for member, published in statuses.items():
        row = known.get(member, {}) | {"published": bool(published)}
        if published:
            row["seen_by"] = len(await ctx.wecom.moments.seen_by(task.moment_id, member))
            row["comments"], row["likes"] = await ctx.wecom.moments.interactions(
                task.moment_id, member
            )
        rows[member] = row
    await store.set_members(task.id, rows)
    everyone = bool(statuses) and all(statuses.values())
    if everyone or now - task.created_at > GIVE_UP_DAYS * 86400:
        return await store.move(task, task.moved("done")) or task
    return task


def _invalid(result: JsonDict) -> dict[str, list[Any]]:
    senders = result.get("invalid_sender_list") or {}
    tags = (result.get("invalid_external_contact_list") or {}).get("tag_list") or []
    found = {
        "users": list(senders.get("user_list") or []),
        "departments": list(senders.get("department_list") or []),
        "tags": list(tags),
    }
    return {k: v for k, v in found.items() if v}


async def remind(ctx: HandlerContext, task: MomentTask, now: float | None = None) -> int:
    """Message the members who haven't published (each at most once a day); how many."""
    if task.status != "created" or not task.moment_id:
        raise MomentError("只有待员工发表的朋友圈任务可以提醒")
    now = time.time() if now is None else now
    store = ctx.services.moments
    reminded: dict[str, dict[str, Any]] = {}
    for member, row in (await store.members(task.id)).items():
        if row.get("published") or now - float(row.get("reminded", 0)) < REMIND_EVERY:
            continue
        text = f"朋友圈任务「{task.name}」待您发表：请在企业微信「客户朋友圈」里确认发表。"
        try:
            await ctx.wecom.message.send_text([member], text)
        except WeComError as exc:
            log.warning("moments %s: reminder to %s not sent: %s", task.id, member, exc)
            continue
        reminded[member] = row | {"reminded": now}
    await store.set_members(task.id, reminded)
    return len(reminded)


async def cancel(ctx: HandlerContext, task: MomentTask) -> MomentTask:
    """Stop the task: before it is made nothing goes; after, members who haven't published
    can't (WeCom refuses once everyone has)."""
    if task.status == "new":
        return await _moved(ctx, task, task.moved("cancelled"))
    if task.status != "created" or not task.moment_id:
        raise MomentError("这个朋友圈任务现在不能取消（创建中、已结束或已取消）")
    try:
        await ctx.wecom.moments.cancel(task.moment_id)
    except WeComError as exc:
        raise MomentError(f"企业微信没有取消（{exc.errcode}）：可能员工都已发表") from None
    return await _moved(ctx, task, task.moved("cancelled"))


async def _moved(ctx: HandlerContext, task: MomentTask, moved: MomentTask) -> MomentTask:
    done = await ctx.services.moments.move(task, moved)
    if done is None:
        raise MomentError("任务状态刚刚变了，请刷新后再试")
    return done
