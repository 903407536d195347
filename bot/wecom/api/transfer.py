"""Inheritance (继承): customers and groups handed from one member to others.

Resigned members (离职继承, docs 92124, 92127, 93242): `get_unassigned_list`,
`resigned/transfer_customer`, `resigned/transfer_result`, `groupchat/transfer`. On-job members
(在职继承, doc 92125): `transfer_customer` (with a message to the customer), `transfer_result`,
`groupchat/onjob_transfer`. Customers go ≤ 100 a call, each answered with its own errcode.
"""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict

TAKEN_OVER, WAITING, REFUSED, FULL = 1, 2, 3, 4


class TransferAPI(BaseAPI):
    """The transfer endpoints, with the customer-contact secret."""

    async def unassigned(self) -> list[JsonDict]:
        """Every customer of a resigned member still waiting: `handover_userid`,
        `external_userid`, `dimission_time`."""
        return await self._pages("externalcontact/get_unassigned_list", "info", {"page_size": 1000})

    async def customers(
        self, resigned: bool, handover: str, takeover: str, customers: list[str], message: str = ""
    ) -> list[JsonDict]:
        """Hand ≤ 100 customers over; each answer row: `external_userid`, `errcode`."""
        path = "externalcontact/" + (
            "resigned/transfer_customer" if resigned else "transfer_customer"
        )
        payload = compact(
            handover_userid=handover,
            takeover_userid=takeover,
            external_userid=customers,
            transfer_success_msg=(message or None) if not resigned else None,
        )
        data = await self._post(path, payload)
        return list(data.get("customer", []))

    async def results(self, resigned: bool, handover: str, takeover: str) -> list[JsonDict]:
        """Every customer handed from `handover` to `takeover`: `external_userid`, `status`
        (1 taken over, 2 waiting, 3 refused, 4 takeover member full), `takeover_time`."""
        path = "externalcontact/" + ("resigned/transfer_result" if resigned else "transfer_result")
        payload = {"handover_userid": handover, "takeover_userid": takeover}
        return await self._pages(path, "customer", payload)

    async def groups(self, resigned: bool, chat_ids: list[str], new_owner: str) -> list[JsonDict]:
        """Give ≤ 100 groups a new owner; the failed ones: `chat_id`, `errcode`."""
        path = "externalcontact/groupchat/" + ("transfer" if resigned else "onjob_transfer")
        data = await self._post(path, {"chat_id_list": chat_ids, "new_owner": new_owner})
        return list(data.get("failed_chat_list", []))
