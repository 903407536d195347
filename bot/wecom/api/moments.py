"""Moments tasks (客户朋友圈 企业发表, docs 95094, 93333, 97612): create a task for members to
publish, read the job's result, each member's publish status, who can see a member's post, the
comments and likes, and cancel. Attachments' media ids come from
`MediaAPI.upload_attachment(..., attachment_type=2)`."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict


class MomentAPI(BaseAPI):
    """add_moment_task, get_moment_task_result, get_moment_task, get_moment_send_result,
    get_moment_comments, cancel_moment_task."""

    async def add_task(
        self,
        text: str,
        attachments: list[JsonDict],
        users: list[str],
        departments: list[int],
        tags: list[str],
    ) -> str:
        """Create the task; returns its `jobid`. Not sent twice when no answer came."""
        sender_list = compact(user_list=users or None, department_list=departments or None)
        visible: JsonDict = {"sender_list": sender_list}
        if tags:
            visible["external_contact_list"] = {"tag_list": tags}
        payload = compact(
            text={"content": text} if text else None,
            attachments=attachments or None,
            visible_range=visible,
        )
        data = await self._post("externalcontact/add_moment_task", payload, once=True)
        return str(data["jobid"])

    async def task_result(self, jobid: str) -> JsonDict:
        """`status` 1 started, 2 creating, 3 done; when done `result` holds `moment_id` (or an
        errcode) and the invalid senders and tags."""
        return await self._get("externalcontact/get_moment_task_result", jobid=jobid)

    async def publish_status(self, moment_id: str) -> dict[str, int]:
        """member -> publish_status (0 not yet, 1 published)."""
        rows = await self._pages(
            "externalcontact/get_moment_task", "task_list", {"moment_id": moment_id, "limit": 1000}
        )
        return {str(r.get("userid", "")): int(r.get("publish_status", 0)) for r in rows}

    async def seen_by(self, moment_id: str, userid: str) -> list[str]:
        """The customers who can see `userid`'s published post."""
        rows = await self._pages(
            "externalcontact/get_moment_send_result",
            "customer_list",
            {"moment_id": moment_id, "userid": userid, "limit": 5000},
        )
        return [str(r.get("external_userid", "")) for r in rows]

    async def interactions(self, moment_id: str, userid: str) -> tuple[int, int]:
        """(comments, likes) on `userid`'s post."""
        data = await self._post(
            "externalcontact/get_moment_comments", {"moment_id": moment_id, "userid": userid}
        )
        return len(data.get("comment_list", [])), len(data.get("like_list", []))

    async def cancel(self, moment_id: str) -> None:
        await self._post("externalcontact/cancel_moment_task", {"moment_id": moment_id})
