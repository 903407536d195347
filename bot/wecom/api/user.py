"""Members of the corp: `user/get` (doc 90196) and the members of a tag, `tag/get` (doc 90213)."""

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

    async def tag_members(self, tagid: int) -> JsonDict:
        """A contact tag (通讯录标签): `tagname`, `userlist` [{userid, name}] and `partylist`
        (department ids). Only members inside the app's visible range are listed; an unknown
        tag answers 40068.
        https://developer.work.weixin.qq.com/document/path/90213
        """
        return await self._get("tag/get", tagid=tagid)
