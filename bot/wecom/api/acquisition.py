"""Customer acquisition links (获客助手): `externalcontact/customer_acquisition/*` and the
quota (docs 97297, 97398, 97400). Called with a self-built app's secret listed under 可调用应用
(the 客户联系 system app may not). A link's URL with `customer_channel=<text>` appended brings
that text back as the add's `State`."""

from __future__ import annotations

from typing import Any

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict

BASE = "externalcontact/customer_acquisition"


class AcquisitionAPI(BaseAPI):
    """create_link, get, update_link, delete_link, customer, and the quota."""

    async def create_link(
        self, name: str, users: list[str], departments: list[int] | None = None, **options: Any
    ) -> JsonDict:
        """A new link: `{link_id, link_name, url, create_time}`."""
        scope = compact(user_list=users, department_list=departments or None)
        data = await self._post(
            f"{BASE}/create_link", compact(link_name=name, range=scope, **options)
        )
        return dict(data.get("link", {}))

    async def get_link(self, link_id: str) -> JsonDict:
        return await self._post(f"{BASE}/get", {"link_id": link_id})

    async def update_link(self, link_id: str, **fields: Any) -> None:
        await self._post(f"{BASE}/update_link", compact(link_id=link_id, **fields))

    async def delete_link(self, link_id: str) -> None:
        await self._post(f"{BASE}/delete_link", {"link_id": link_id})

    async def customers(self, link_id: str, cursor: str = "", limit: int = 1000) -> JsonDict:
        """One page of the customers a link brought: `customer_list`, `next_cursor`."""
        payload = compact(link_id=link_id, cursor=cursor or None, limit=min(max(limit, 1), 1000))
        return await self._post(f"{BASE}/customer", payload)

    async def quota(self) -> JsonDict:
        """`total` used ever, `balance` left, `quota_list` [{expire_date, balance}]."""
        return await self._get("externalcontact/customer_acquisition_quota")
