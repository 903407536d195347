"""Display names for the members, customer groups, customers and channels that text names.

A customer must read "我是王五", not "我是wangwu"; an admin's alert says "员工 王五（wangwu）"
and "客户群 福利群1（wrOgQh…）", not bare ids. Members' names come from the staff directory
(`user/get`), a group's from `groupchat/get`, both kept a day by `bot.directory.CachedAnswers`
(a group's is dropped at once when WeCom reports a rename); a channel's from its stored record;
a customer's from the profile (the member's remark first). Every lookup has a short budget and
a fallback, because the welcome that asks must still leave inside WeCom's 20-second window.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.directory import LOOKUP_SECONDS, CachedAnswers, StaffDirectory
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.wecom import WeComClient
from bot.welcome.channels import STATE_PREFIX, ChannelStore

UNNAMED_GROUP = "未命名客户群"  # WeCom lets a group go without a name


def labeled(name: str, ident: str) -> str:
    """ "王五（wangwu）" for admins, who may need the id to act on; the id alone when no name."""
    return f"{name}（{ident}）" if name and name != ident else ident


class GroupNames:
    """Cached customer group → name, read from `groupchat/get` (doc 92122)."""

    def __init__(self, redis: Redis, keys: RedisKeys, wecom: WeComClient) -> None:
        self._answers = CachedAnswers(redis, keys.group_names)
        self._wecom = wecom

    async def name(self, chat_id: str, budget: float = LOOKUP_SECONDS) -> str:
        """The group's name; "" when WeCom won't say and nothing is cached."""

        async def ask() -> dict[str, Any]:
            group = await self._wecom.external_contact.get_group_chat(chat_id, False)
            return {"name": str(group.get("name") or "")}

        entry = await self._answers.get(chat_id, ask, budget)
        return str(entry["name"]) if entry else ""

    async def forget(self, chat_id: str) -> None:
        """Drop a cached name (the group was renamed or dismissed)."""
        await self._answers.forget(chat_id)


class Names:
    """Display names for text shown to customers, members and admins, each with a fallback."""

    def __init__(self, redis: Redis, keys: RedisKeys, wecom: WeComClient) -> None:
        self._redis = redis
        self._keys = keys
        self.directory = StaffDirectory(redis, keys, wecom.user)
        self.groups = GroupNames(redis, keys, wecom)

    async def staff(self, userid: str, budget: float = LOOKUP_SECONDS) -> str:
        """The member's name ("王五"); their user id when WeCom won't say."""
        return await self.directory.name(userid, budget)

    async def staff_for_admins(self, userid: str) -> str:
        return labeled(await self.staff(userid), userid)

    async def group(self, chat_id: str) -> str:
        return await self.groups.name(chat_id) or UNNAMED_GROUP

    async def group_for_admins(self, chat_id: str) -> str:
        return labeled(await self.groups.name(chat_id) or UNNAMED_GROUP, chat_id)

    async def channel(self, state: str) -> str:
        """A channel code's name from its State (`ch:<id>`); "" for a State that is not one
        of ours (a contact way made elsewhere): its raw State means nothing to a customer."""
        if not state.startswith(STATE_PREFIX):
            return ""
        channel = await ChannelStore(self._redis, self._keys).get(state.removeprefix(STATE_PREFIX))
        return channel.name if channel else ""

    async def customer(self, external_userid: str, staff: str = "") -> str:
        """The customer as `staff` knows them (their remark), else their WeChat name, else ""."""
        profile = await ProfileStore(self._redis, self._keys).get(external_userid)
        follow = profile.follows.get(staff) if staff else None
        return (follow.remark if follow else "") or profile.name

    async def customer_for_admins(self, external_userid: str) -> str:
        return labeled(await self.customer(external_userid), external_userid)
