"""Things that happen in WeCom's clients, imitated: each updates the sandbox state the way
WeCom would and delivers the callback WeCom would send (doc 92130) to the connected bot.

Every scenario returns a `ScenarioResult`; its `delivery` is None when no bot is connected,
which is handy for tests that only need the state.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.sandbox.driver import CallbackDriver, Delivery
from bot.sandbox.events import (
    Field,
    acquisition_event,
    chat_event,
    contact_event,
    kf_event,
    text_message,
)
from bot.sandbox.state import (
    Expiring,
    ExternalContact,
    FollowUser,
    GroupChat,
    KfMessage,
    SandboxState,
    WelcomeCode,
)

KF_TOKEN_LIFETIME = 600
QR_GROUP_LIMIT = 200  # members a group takes through a QR join (doc 92229)


@dataclass
class ScenarioResult:
    """The XML a scenario produced, how its delivery went and the ids it minted."""

    xml: str
    delivery: Delivery | None
    welcome_code: str = ""
    external_userid: str = ""
    chat_id: str = ""
    msg_id: str = ""
    kf_token: str = ""

    @property
    def delivered(self) -> bool:
        return self.delivery is not None and self.delivery.delivered

    @property
    def passive_reply(self) -> str:
        """The text of the bot's passive reply to this callback ("" when it sent none)."""
        if self.delivery is None:
            return ""
        for attempt in self.delivery.attempts:
            if attempt.reply:
                return attempt.reply.get("Content", "")
        return ""


class Scenarios:
    """Scenario methods of `Sandbox`; expects the attributes declared below."""

    corp_id: str
    agent_id: int
    state: SandboxState
    driver: CallbackDriver | None

    def now(self) -> float:
        raise NotImplementedError

    def add_customer(self, external_userid: str | None = None, name: str = "") -> ExternalContact:
        raise NotImplementedError

    async def _deliver(self, xml: str) -> Delivery | None:
        return None if self.driver is None else await self.driver.deliver(xml)

    def _staff(self, userid: str) -> None:
        if userid not in self.state.staff:
            raise ValueError(f"unknown staff member {userid!r}; add_staff() first")

    def customer_added_unheard(self, userid: str, external_userid: str, name: str = "") -> None:
        """A customer adds `userid` while the bot's callback URL is down: WeCom has the
        relation (and counts it in its statistics), the bot never hears of it."""
        self._staff(userid)
        contact = self.add_customer(external_userid, name)
        key = (userid, contact.external_userid)
        self.state.follows[key] = FollowUser(userid, contact.external_userid, int(self.now()))

    async def customer_adds_staff(
        self,
        userid: str | None = None,
        external_userid: str | None = None,
        *,
        state: str = "",
        config_id: str | None = None,
        name: str = "",
        add_way: int = 1,
    ) -> ScenarioResult:
        """A customer adds `userid` (or the channel code `config_id`'s member) as a contact.

        Creates the customer if needed and the relationship, issues a WelcomeCode (valid 20 s,
        usable once) unless the staff member has a native welcome, and delivers
        `add_external_contact` with State from `state` or the channel code.
        """
        if config_id is not None:
            way = self.state.contact_ways.get(config_id)
            if way is None:
                raise ValueError(f"unknown channel code {config_id!r}")
            members = list(way.user)
            for party in way.party:
                members += self.state.department_members(party)
            userid = userid or (members[0] if members else None)
            if userid not in members:
                raise ValueError(f"{userid!r} does not serve channel code {config_id!r}")
            state = way.state
        if userid is None:
            raise ValueError("give userid or config_id")
        self._staff(userid)
        contact = self.add_customer(external_userid, name)
        now = self.now()
        key = (userid, contact.external_userid)
        self.state.follows[key] = FollowUser(
            userid, contact.external_userid, int(now), add_way=add_way, state=state
        )
        extra: list[Field] = [("State", state)] if state else []
        code = ""
        if not self.state.staff[userid].native_welcome:
            code = self.state.new_id("", 43)
            self.state.welcome_codes[code] = WelcomeCode(code, userid, contact.external_userid, now)
            extra.append(("WelcomeCode", code))
        xml = contact_event(
            self.corp_id, int(now), "add_external_contact", userid, contact.external_userid, extra
        )
        delivery = await self._deliver(xml)
        return ScenarioResult(
            xml, delivery, welcome_code=code, external_userid=contact.external_userid
        )

    async def customer_adds_via_link(
        self, link_id: str, external_userid: str, *, customer_channel: str = "", name: str = ""
    ) -> ScenarioResult:
        """A customer opens an acquisition link (with `customer_channel` on its URL) and adds its
        first member: State is the channel text; one add of the corp's quota is used, and
        under 20 left WeCom says `balance_low`, at none `balance_exhausted`."""
        link = self.state.acquisition_links.get(link_id)
        if link is None:
            raise ValueError(f"unknown acquisition link {link_id!r}")
        if self.state.acquisition_balance <= 0:
            raise ValueError("the corp's acquisition quota is used up: the link adds no one")
        result = await self.customer_adds_staff(
            link.users[0], external_userid, state=customer_channel, name=name
        )
        self.state.follows[(link.users[0], external_userid)].via_link = link_id
        self.state.acquisition_balance -= 1
        self.state.acquisition_used += 1
        left = self.state.acquisition_balance
        change = "balance_exhausted" if left == 0 else "balance_low" if left == 19 else ""
        if change:
            await self._deliver(acquisition_event(self.corp_id, int(self.now()), change))
        return result

    async def customer_deletes_staff(self, userid: str, external_userid: str) -> ScenarioResult:
        """The customer deletes the staff member: `del_follow_user` (a churn signal)."""
        return await self._unfollow(userid, external_userid, "del_follow_user", [])

    async def staff_deletes_customer(
        self, userid: str, external_userid: str, source: str = ""
    ) -> ScenarioResult:
        """The staff member deletes the customer: `del_external_contact`."""
        extra: list[Field] = [("Source", source)] if source else []
        return await self._unfollow(userid, external_userid, "del_external_contact", extra)

    async def staff_edits_customer(
        self,
        userid: str,
        external_userid: str,
        *,
        remark: str | None = None,
        description: str | None = None,
    ) -> ScenarioResult:
        """The staff member edits the customer's remark or description: `edit_external_contact`."""
        follow = self.state.follows.get((userid, external_userid))
        if follow is None:
            raise ValueError(f"{userid!r} has no relationship with {external_userid!r}")
        if remark is not None:
            follow.remark = remark
        if description is not None:
            follow.description = description
        xml = contact_event(
            self.corp_id, int(self.now()), "edit_external_contact", userid, external_userid, []
        )
        return ScenarioResult(xml, await self._deliver(xml), external_userid=external_userid)

    async def _unfollow(
        self, userid: str, external_userid: str, change_type: str, extra: list[Field]
    ) -> ScenarioResult:
        if self.state.follows.pop((userid, external_userid), None) is None:
            raise ValueError(f"{userid!r} has no relationship with {external_userid!r}")
        xml = contact_event(
            self.corp_id, int(self.now()), change_type, userid, external_userid, extra
        )
        return ScenarioResult(xml, await self._deliver(xml), external_userid=external_userid)

    def _chat(self, chat_id: str | None, owner: str | None) -> GroupChat:
        if chat_id is not None and chat_id in self.state.groups:
            return self.state.groups[chat_id]
        owner = owner or next(iter(self.state.staff), None)
        if owner is None:
            raise ValueError("a group needs an owner; add_staff() first")
        self._staff(owner)
        now = int(self.now())
        chat = GroupChat(chat_id or self.state.new_id("wr", 32), owner, [owner], create_time=now)
        chat.joined[owner] = now
        chat.mem_ver = _mem_ver(chat.members)
        self.state.groups[chat.chat_id] = chat
        return chat

    async def group_created(
        self,
        owner: str,
        chat_id: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        name: str = "",
    ) -> ScenarioResult:
        """A customer group is created by `owner`: `change_external_chat` create."""
        if chat_id is not None and chat_id in self.state.groups:
            raise ValueError(f"group {chat_id!r} exists")
        chat = self._chat(chat_id, owner)
        chat.name = name
        chat.members += [m for m in members if m not in chat.members]
        chat.joined.update(dict.fromkeys(members, chat.create_time))
        chat.mem_ver = _mem_ver(chat.members)
        xml = chat_event(self.corp_id, int(self.now()), chat.chat_id, "create")
        return ScenarioResult(xml, await self._deliver(xml), chat_id=chat.chat_id)

    async def customer_joins_group(
        self,
        chat_id: str | None,
        external_userids: str | list[str],
        *,
        join_scene: int = 3,
        owner: str | None = None,
    ) -> ScenarioResult:
        """Customers join a group (0 invited, 3 scanned the group QR): update/add_member."""
        if join_scene not in (0, 3):
            raise ValueError("join_scene is 0 (invited) or 3 (scanned the group QR code)")
        joined = [external_userids] if isinstance(external_userids, str) else external_userids
        return await self._members(chat_id, owner, joined, "add_member", ("JoinScene", join_scene))

    async def customer_joins_via_code(self, config_id: str, external_userid: str) -> ScenarioResult:
        """A customer scans a group live code (doc 92229): they join the first of its groups
        with room (`QR_GROUP_LIMIT` members for a QR join), or, when all are full and the code
        creates rooms, a new group WeCom makes (`room_base_name` + a number). The add_member
        event carries the code's State."""
        way = self.state.join_ways.get(config_id)
        if way is None:
            raise ValueError(f"unknown join way {config_id!r}")
        chats = [*way.chat_id_list, *way.rooms_created]
        chat_id = next(
            (c for c in chats if len(self.state.groups[c].members) < QR_GROUP_LIMIT), None
        )
        if chat_id is None:
            if not way.auto_create_room:
                raise ValueError("every group of the code is full and it creates none")
            owner = self.state.groups[way.chat_id_list[0]].owner
            number = way.room_base_id + len(way.rooms_created)
            created = await self.group_created(owner, name=f"{way.room_base_name}{number}")
            chat_id = str(created.chat_id)
            way.rooms_created.append(chat_id)
        return await self._members(
            chat_id, None, [external_userid], "add_member", ("JoinScene", 3), ("State", way.state)
        )

    async def customer_leaves_group(
        self, chat_id: str, external_userids: str | list[str], *, quit_scene: int = 0
    ) -> ScenarioResult:
        """Customers leave (0) or are removed (1): update/del_member."""
        left = [external_userids] if isinstance(external_userids, str) else external_userids
        if chat_id not in self.state.groups:
            raise ValueError(f"unknown group {chat_id!r}")
        return await self._members(chat_id, None, left, "del_member", ("QuitScene", quit_scene))

    async def _members(
        self,
        chat_id: str | None,
        owner: str | None,
        changed: list[str],
        detail: str,
        scene: Field,
        *more: Field,
    ) -> ScenarioResult:
        chat = self._chat(chat_id, owner)
        last = chat.mem_ver
        if detail == "add_member":
            chat.members += [m for m in changed if m not in chat.members]
            chat.joined.update(dict.fromkeys(changed, int(self.now())))
        else:
            chat.members = [m for m in chat.members if m not in changed]
        chat.mem_ver = _mem_ver(chat.members)
        extra: list[Field] = [
            ("UpdateDetail", detail),
            scene,
            ("MemChangeCnt", len(changed)),
            ("MemChangeList", list(changed)),
            ("LastMemVer", last),
            ("CurMemVer", chat.mem_ver),
            *more,
        ]
        xml = chat_event(self.corp_id, int(self.now()), chat.chat_id, "update", extra)
        return ScenarioResult(xml, await self._deliver(xml), chat_id=chat.chat_id)

    async def kf_message(
        self, external_userid: str, content: str, open_kfid: str | None = None
    ) -> ScenarioResult:
        """A customer writes to a WeChat Customer Service account: the message is queued for
        kf/sync_msg and `kf_msg_or_event` carries a pull token valid 10 minutes."""
        open_kfid = open_kfid or next(iter(sorted(self.state.kf_accounts)), "wk" + "0" * 30)
        self.state.kf_accounts.add(open_kfid)
        now = self.now()
        msg_id = self.state.new_id("", 32)
        message = KfMessage(msg_id, open_kfid, external_userid, int(now), content)
        self.state.kf_messages.setdefault(open_kfid, []).append(message)
        token = self.state.new_id("ENC", 47)
        self.state.kf_tokens[token] = Expiring(token, open_kfid, now + KF_TOKEN_LIFETIME)
        xml = kf_event(self.corp_id, int(now), token, open_kfid)
        return ScenarioResult(xml, await self._deliver(xml), msg_id=msg_id, kf_token=token)

    async def staff_sends_text(self, userid: str, content: str) -> ScenarioResult:
        """A staff member (an admin, say) sends text to the app; MsgId is unique."""
        self._staff(userid)
        self.state.app_msg_seq += 1
        msg_id = str(7_000_000_000_000_000_000 + self.state.app_msg_seq)
        xml = text_message(self.corp_id, int(self.now()), userid, content, msg_id, self.agent_id)
        return ScenarioResult(xml, await self._deliver(xml), msg_id=msg_id)


def _mem_ver(members: list[str]) -> str:
    return hashlib.md5(",".join(sorted(members)).encode()).hexdigest()
