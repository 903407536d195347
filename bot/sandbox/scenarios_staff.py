"""Staff lifecycle scenarios of the sandbox: a member resigns (`change_contact` delete_user,
doc 90970), a customer refuses a transfer, and WeCom settles the transfers whose 24 hours have
passed (the follow moves to the takeover member, and the callbacks WeCom sends follow)."""

from __future__ import annotations

from bot.sandbox.events import contact_event, member_event
from bot.sandbox.routes_transfer import TAKEOVER_AFTER
from bot.sandbox.scenarios import ScenarioResult, Scenarios
from bot.sandbox.state import FollowUser, Transfer

TAKEN_OVER, WAITING, REFUSED, FULL = 1, 2, 3, 4


class StaffScenarios(Scenarios):
    """Scenario methods of `Sandbox` about members leaving and customers changing hands."""

    takeover_capacity: dict[str, int]  # member -> most customers they may hold (unset: any)

    async def member_resigns(self, userid: str) -> ScenarioResult:
        """The member leaves: their customers and groups wait for inheritance; the bot hears
        `change_contact` delete_user."""
        member = self.state.staff.get(userid)
        if member is None:
            raise ValueError(f"unknown staff member {userid!r}")
        member.resigned_at = self.now()
        xml = member_event(self.corp_id, int(self.now()), "delete_user", userid)
        return ScenarioResult(xml, await self._deliver(xml))

    async def customer_refuses_transfer(self, external_userid: str) -> Transfer:
        """The customer declines the new member within the 24 hours: `transfer_fail`."""
        transfer = self._waiting(external_userid)
        transfer.status = REFUSED
        extra = [("FailReason", "customer_refused")]
        xml = contact_event(
            self.corp_id,
            int(self.now()),
            "transfer_fail",
            transfer.takeover,
            external_userid,
            extra,
        )
        await self._deliver(xml)
        return transfer

    async def settle_transfers(self) -> list[Transfer]:
        """Transfers waiting 24 hours are taken over (or refused for a full takeover member);
        returns those settled now."""
        settled = []
        for transfer in [t for t in self.state.transfers if t.status == WAITING]:
            if self.now() - transfer.at < TAKEOVER_AFTER:
                continue
            held = sum(1 for f in self.state.follows.values() if f.userid == transfer.takeover)
            if held >= self.takeover_capacity.get(transfer.takeover, 1 << 30):
                transfer.status = FULL
                extra = [("FailReason", "customer_limit_exceed")]
                xml = contact_event(
                    self.corp_id,
                    int(self.now()),
                    "transfer_fail",
                    transfer.takeover,
                    transfer.external_userid,
                    extra,
                )
                await self._deliver(xml)
            else:
                await self._take_over(transfer)
            settled.append(transfer)
        return settled

    async def _take_over(self, transfer: Transfer) -> None:
        transfer.status, transfer.takeover_time = TAKEN_OVER, self.now()
        old = self.state.follows.pop((transfer.handover, transfer.external_userid), None)
        follow = FollowUser(transfer.takeover, transfer.external_userid, int(self.now()))
        if old is not None:
            follow.remark, follow.tag_ids = old.remark, list(old.tag_ids)
        self.state.follows[(transfer.takeover, transfer.external_userid)] = follow
        now = int(self.now())
        if transfer.kind == "onjob":
            source = [("Source", "DELETE_BY_TRANSFER")]
            await self._deliver(
                contact_event(
                    self.corp_id,
                    now,
                    "del_external_contact",
                    transfer.handover,
                    transfer.external_userid,
                    source,
                )
            )
        await self._deliver(
            contact_event(
                self.corp_id,
                now,
                "add_external_contact",
                transfer.takeover,
                transfer.external_userid,
                [],
            )
        )

    def _waiting(self, external_userid: str) -> Transfer:
        for transfer in self.state.transfers:
            if transfer.external_userid == external_userid and transfer.status == WAITING:
                return transfer
        raise ValueError(f"no transfer of {external_userid!r} is waiting")
