"""JS-SDK tickets and signatures for the sidebar (doc 90506)."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.wecom.api.base import BaseAPI
from bot.wecom.credentials import CachedCredential
from bot.wecom.transport import WeComTransport


def jsapi_signature(ticket: str, noncestr: str, timestamp: str | int, url: str) -> str:
    """sha1 of `jsapi_ticket=T&noncestr=N&timestamp=TS&url=URL`, the URL without its #fragment."""
    url = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()


class JsApiAPI(BaseAPI):
    """Corp (`wx.config`) and app (`agentConfig`) tickets, cached in Redis like tokens."""

    def __init__(
        self, transport: WeComTransport, secret: str, redis: Redis, keys: RedisKeys
    ) -> None:
        super().__init__(transport, secret)
        self.corp_ticket = CachedCredential(
            redis, keys.ticket("corp", secret), keys.ticket_lock("corp", secret), self._fetch_corp
        )
        self.agent_ticket = CachedCredential(
            redis,
            keys.ticket("agent", secret),
            keys.ticket_lock("agent", secret),
            self._fetch_agent,
        )

    async def _fetch_corp(self) -> tuple[str, int]:
        data = await self._get("get_jsapi_ticket")
        return str(data["ticket"]), int(data.get("expires_in", 7200))

    async def _fetch_agent(self) -> tuple[str, int]:
        data = await self._get("ticket/get", type="agent_config")
        return str(data["ticket"]), int(data.get("expires_in", 7200))
