"""The app itself: `agent/get` (doc 90227)."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI
from bot.wecom.transport import JsonDict


class AgentAPI(BaseAPI):
    """Reads the app's own settings; `doctor` uses it to check the agent id and secret match."""

    async def get(self, agent_id: int) -> JsonDict:
        """Name, visible range and trusted domain of the app (60020 from an untrusted IP)."""
        return await self._get("agent/get", agentid=agent_id)
