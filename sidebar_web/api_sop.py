"""The signed-in member's open SOP tasks: listed for the current chat, shown on the page the
reminder card links to, and marked done once sent.

A task belongs to one staff member; nobody else may read or complete it. Listing a customer's
or a group's tasks first checks, as the profile does, that the member follows the customer or
is in the group. A reminder's content is given as `ww.sendChatMessage` payloads, rendered the
way a script is; a mass-message task (群发, confirmed by the member in WeCom) has none.
"""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS
from bot.sop.tasks import SopTask, TaskStore
from bot.stats.recorder import record_sop
from sidebar_web.api_context import corp_time, followed_customer, joined_group
from sidebar_web.api_library import KIND_LABELS, checked_text, media_url_for
from sidebar_web.common import SidebarError, ok, session_of
from sidebar_web.messages import content_messages

TASK_ID = "[0-9a-f]{20}"  # bot.sop.tasks.task_id: a hash prefix
_TASK_ID = re.compile(TASK_ID)
EVERYONE = "*"  # a calendar SOP's target: all the member's customers

NOT_FOUND = "SOP 任务不存在或已过期"
NOT_YOURS = "这不是您的 SOP 任务，无法查看或操作"


def tasks_of(request: web.Request) -> TaskStore:
    return request.config_dict[HANDLER_CONTEXT].services.sop_tasks


async def own_task(request: web.Request) -> SopTask:
    """The task named in the path; 404 unknown, 403 another member's."""
    task_id = request.match_info["id"]
    task = await tasks_of(request).get(task_id) if _TASK_ID.fullmatch(task_id) else None
    if task is None:
        raise SidebarError(404, NOT_FOUND)
    if task.staff != session_of(request).userid:
        raise SidebarError(403, NOT_YOURS)
    return task


async def task_json(request: web.Request, task: SopTask) -> dict[str, Any]:
    """The task for display, with what the sidebar sends for it."""
    data: dict[str, Any] = {
        "id": task.id,
        "rule_name": task.rule_name,
        "step": task.step + 1,
        "kind": task.kind,
        "delivery": task.delivery,
        "target": task.target,
        "target_name": task.target_name,
        "text": task.text,
        "attachments": [KIND_LABELS.get(str(a.get("msgtype")), "附件") for a in task.attachments],
        "status": task.status,
        "sent_at": corp_time(task.sent_at) if task.sent_at else "",
        "messages": [],
        "skipped": 0,
        "blocked": "",
    }
    if task.delivery != "reminder" or task.status == "done":
        return data  # WeCom sends a mass task itself, once the member confirms it there
    try:
        text = checked_text(request, task.text) if task.text.strip() else ""
    except SidebarError as exc:  # a word blocked since the reminder went out
        data["blocked"] = exc.message
        return data
    config = request.config_dict
    media = config[HANDLER_CONTEXT].services.media
    products = config[HANDLER_CONTEXT].services.products
    data["messages"], data["skipped"] = await content_messages(
        text,
        task.attachments,
        media,
        products,
        media_url_for(request),
        source=f"SOP task {task.id}",
        guard=config[HANDLER_CONTEXT].text,
    )
    return data


async def list_tasks(request: web.Request) -> web.Response:
    """Open tasks about the current customer (calendar ones for all customers too), the current
    group, or — with neither — all of them, oldest first."""
    external_userid = request.query.get("external_userid", "")
    chat_id = request.query.get("chat_id", "")
    userid = session_of(request).userid
    if external_userid:
        await followed_customer(request, external_userid)
        found = [
            t
            for t in await tasks_of(request).pending(userid, external_userid)
            if t.kind == "customer"
        ]
    elif chat_id:
        await joined_group(request, chat_id)
        found = [t for t in await tasks_of(request).pending(userid) if t.target == chat_id]
    else:
        found = await tasks_of(request).pending(userid)
    return ok({"tasks": [await task_json(request, t) for t in found]})


async def get_task(request: web.Request) -> web.Response:
    task = await own_task(request)
    return ok(await task_json(request, task))


async def task_done(request: web.Request) -> web.Response:
    """Mark the step done and count it; a second call changes and counts nothing."""
    task = await own_task(request)
    if task.status == "sending":
        raise SidebarError(409, "该提醒尚未发出，请稍后再试")
    at = task.done_at or int(time.time())
    config = request.config_dict
    if task.status != "done":
        await tasks_of(request).complete(task, at)
    # counted under its own mark even when already done: a crash between the two writes is
    # then made good by the next tap, and a repeated tap counts nothing
    await record_sop(
        config[REDIS], config[KEYS], "completed", task.staff, at, mark=f"completed:{task.id}"
    )
    done = await tasks_of(request).get(task.id)
    return ok(await task_json(request, done or task))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/sop/tasks", list_tasks)
    app.router.add_get("/api/sop/tasks/{id}", get_task)
    app.router.add_post("/api/sop/tasks/{id}/done", task_done)
