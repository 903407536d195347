"""WeChat Customer Service (微信客服): `kf/sync_msg` (doc 94670)."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict


class KfAPI(BaseAPI):
    """Pulls customer-service messages after a `kf_msg_or_event` callback."""

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
