"""OAuth2 identity for the sidebar: `auth/getuserinfo` (doc 91023)."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI
from bot.wecom.transport import JsonDict


class AuthAPI(BaseAPI):
    """Turns a single-use OAuth2 code into the staff member's user id."""

    async def get_user_info(self, code: str) -> JsonDict:
        """`userid` for staff (or `openid` for non-members); 40029 = bad or used code."""
        return await self._get("auth/getuserinfo", code=code)

    async def get_user_id(self, code: str) -> str | None:
        """The staff user id, or None when the code belongs to a non-member."""
        data = await self.get_user_info(code)
        user_id = data.get("userid") or data.get("UserId")
        return str(user_id) if user_id else None
