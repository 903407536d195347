"""Group live codes (客户群进群方式, 群活码): `externalcontact/groupchat/*_join_way` (doc 92229).

Called with the customer-contact secret (since 2023-12-01 a new corp's must be a self-built
app's, listed under 可调用接口的应用). An app manages only the codes it made.
"""

from __future__ import annotations

from typing import Any

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict


class GroupJoinAPI(BaseAPI):
    """add/get/update/del_join_way."""

    async def add(self, **config: Any) -> str:
        """Create a code; returns its `config_id`. `config`: scene (1 mini-program, 2 QR),
        remark (≤30), auto_create_room (0/1), room_base_name (≤40), room_base_id,
        chat_id_list (≤5), state (≤30)."""
        data = await self._post("externalcontact/groupchat/add_join_way", compact(**config))
        return str(data["config_id"])

    async def get(self, config_id: str) -> JsonDict:
        """A code's configuration and its `qr_code` image URL."""
        data = await self._post("externalcontact/groupchat/get_join_way", {"config_id": config_id})
        return dict(data.get("join_way", {}))

    async def update(self, config_id: str, **config: Any) -> None:
        """Change a code's groups, options or state (the fields given replace the old)."""
        payload = {"config_id": config_id, **compact(**config)}
        await self._post("externalcontact/groupchat/update_join_way", payload)

    async def qr_image(self, url: str) -> tuple[bytes, str]:
        """The QR image at a code's `qr_code` URL: (content, content type)."""
        return await self._transport.image(url)

    async def delete(self, config_id: str) -> None:
        await self._post("externalcontact/groupchat/del_join_way", {"config_id": config_id})
