"""Members of the corp: `user/get` (doc 90196)."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI
from bot.wecom.transport import JsonDict


class UserAPI(BaseAPI):
    """Reads staff members; the app sees only members inside its visible range (else 60011)."""

    async def get(self, userid: str) -> JsonDict:
        """One member: name, `department` ids and `main_department` (doc 90196).

        Apps created after 2022-06-20 no longer receive contact fields such as mobile or
        avatar here; department ids are still returned.
        """
        return await self._get("user/get", userid=userid)
