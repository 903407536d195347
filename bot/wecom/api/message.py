"""App messages to staff: `message/send` (doc 90236)."""

from __future__ import annotations

from typing import Any

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict, WeComTransport


class MessageAPI(BaseAPI):
    """Sends app messages as agent `agent_id` (≤30/min and 1000/h per member)."""

    def __init__(self, transport: WeComTransport, secret: str, agent_id: int) -> None:
        super().__init__(transport, secret)
        self.agent_id = agent_id

    async def send(
        self,
        msgtype: str,
        body: JsonDict,
        touser: list[str] | None = None,
        toparty: list[str] | None = None,
        duplicate_check_seconds: int | None = None,
    ) -> JsonDict:
        """Send one message; `body` is the `msgtype` object (e.g. {"content": ...} for text).

        WeCom answers 0 with `invaliduser` listing recipients it could not reach, and 81013
        when none could be reached.
        """
        payload = compact(
            touser="|".join(touser) if touser else None,
            toparty="|".join(toparty) if toparty else None,
            msgtype=msgtype,
            agentid=self.agent_id,
            enable_duplicate_check=1 if duplicate_check_seconds else None,
            duplicate_check_interval=duplicate_check_seconds,
        )
        payload[msgtype] = body
        return await self._post("message/send", payload)

    async def send_text(self, touser: list[str], content: str, **options: Any) -> JsonDict:
        """A text message (≤2048 bytes)."""
        return await self.send("text", {"content": content}, touser=touser, **options)

    async def send_markdown(self, touser: list[str], content: str, **options: Any) -> JsonDict:
        """A markdown message (shown in the WeCom client, not in WeChat)."""
        return await self.send("markdown", {"content": content}, touser=touser, **options)

    async def send_textcard(
        self,
        touser: list[str],
        title: str,
        description: str,
        url: str,
        btntxt: str | None = None,
        **options: Any,
    ) -> JsonDict:
        """A text card: title ≤128 bytes, description ≤512 bytes, a link and button text."""
        body = compact(title=title, description=description, url=url, btntxt=btntxt)
        return await self.send("textcard", body, touser=touser, **options)
