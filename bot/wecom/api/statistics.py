"""WeCom's own statistics of customer contact (docs 92132, 92133): per member per day, and the
customer groups of owners per day. Day granularity; at most 30 days a call, the last 180 kept."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI
from bot.wecom.transport import JsonDict


class StatisticsAPI(BaseAPI):
    """get_user_behavior_data and groupchat/statistic_group_by_day."""

    async def behavior(self, userid: str, start: int, end: int) -> list[JsonDict]:
        """One member's rows, one a day (`stat_time`, new_contact_cnt, chat_cnt, message_cnt,
        reply_percentage, avg_reply_time, negative_feedback_cnt, new_apply_cnt)."""
        data = await self._post(
            "externalcontact/get_user_behavior_data",
            {"userid": [userid], "start_time": start, "end_time": end},
        )
        return list(data.get("behavior_data", []))

    async def groups_by_day(self, owners: list[str], start: int, end: int) -> list[JsonDict]:
        """The owners' groups, one row a day: `stat_time` and `data` (chat_total, member_total,
        new_chat_cnt, new_member_cnt, msg_total …)."""
        payload: JsonDict = {"day_begin_time": start, "day_end_time": end}
        if owners:
            payload["owner_filter"] = {"userid_list": owners}
        data = await self._post("externalcontact/groupchat/statistic_group_by_day", payload)
        return list(data.get("items", []))
