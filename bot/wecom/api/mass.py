"""Mass-message results and follow-up (群发助手, doc 92135): which members have sent their part,
what each recipient got, reminders and cancelling. Creating a task is
`ExternalContactAPI.add_msg_template`."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI
from bot.wecom.transport import JsonDict

PAGE = 1000
MAX_PAGES = 100  # 100,000 rows: far above WeCom's 10,000 recipients a task


class MassAPI(BaseAPI):
    """get_groupmsg_task, get_groupmsg_send_result, remind_groupmsg_send, cancel_groupmsg_send."""

    async def task(self, msgid: str) -> list[JsonDict]:
        """Each member's part: `userid`, `status` (0 not sent yet, 2 sent), `send_time`."""
        return await self._pages(
            "externalcontact/get_groupmsg_task",
            "task_list",
            {"msgid": msgid, "limit": PAGE},
            MAX_PAGES,
        )

    async def send_result(self, msgid: str, userid: str) -> list[JsonDict]:
        """What each of a member's recipients got: `status` 0 not sent, 1 sent, 2 not a
        friend, 3 over the mass-message quota."""
        return await self._pages(
            "externalcontact/get_groupmsg_send_result",
            "send_list",
            {"msgid": msgid, "userid": userid, "limit": PAGE},
            MAX_PAGES,
        )

    async def remind(self, msgid: str) -> None:
        """Remind the members who haven't sent (WeCom allows 3 a task in 24 hours)."""
        await self._post("externalcontact/remind_groupmsg_send", {"msgid": msgid})

    async def cancel(self, msgid: str) -> None:
        """Stop the members who haven't sent yet from sending."""
        await self._post("externalcontact/cancel_groupmsg_send", {"msgid": msgid})
