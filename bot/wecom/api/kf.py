"""WeChat Customer Service (微信客服): `kf/sync_msg` (doc 94670) and `kf/send_msg` (doc 94677).

A reply may go only within 48 hours of the customer's last message, at most 5 replies per
message of theirs (WeCom answers 95018 otherwise: the session isn't open for sending)."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict


class KfAPI(BaseAPI):
    """Pulls customer-service messages after a `kf_msg_or_event` callback, and replies."""

    async def sync_msg(
        self,
        open_kfid: str,
        token: str | None = None,
        cursor: str | None = None,
        limit: int = 1000,
    ) -> JsonDict:
        """One page: `msg_list`, `next_cursor`, `has_more`. The callback's token lasts 10 min."""
        payload = compact(
            cursor=cursor or None,
            token=token or None,
            limit=min(max(limit, 1), 1000),
            open_kfid=open_kfid,
        )
        return await self._post("kf/sync_msg", payload)

    async def send(
        self, open_kfid: str, touser: str, message: JsonDict, msgid: str | None = None
    ) -> str:
        """Reply to a customer: `message` is `{"msgtype": "text", "text": {...}}` or an image
        `{"msgtype": "image", "image": {"media_id"}}`. `msgid` (≤32 of [0-9a-zA-Z_-]) is ours
        to choose, so a retried reply carries the same id. Returns the message id."""
        payload = compact(touser=touser, open_kfid=open_kfid, msgid=msgid) | message
        data = await self._post("kf/send_msg", payload)
        return str(data.get("msgid", msgid or ""))
