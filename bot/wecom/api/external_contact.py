"""Customer contact (客户联系) APIs: profiles, welcome messages, tags, channel codes, mass sends.

All of these need the customer-contact secret or an app listed under
客户联系 → 可调用接口的应用.
"""

from __future__ import annotations

from typing import Any

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict

Attachment = dict[str, Any]


class ExternalContactAPI(BaseAPI):
    """`externalcontact/*` endpoints."""

    async def get(self, external_userid: str, cursor: str | None = None) -> JsonDict:
        """Customer profile and the staff who follow them (doc 92114)."""
        return await self._get(
            "externalcontact/get", external_userid=external_userid, cursor=cursor
        )

    async def send_welcome_msg(
        self,
        welcome_code: str,
        text: str | None = None,
        attachments: list[Attachment] | None = None,
    ) -> JsonDict:
        """Welcome a new customer; valid within 20 s of the event, once (doc 92137)."""
        payload = compact(
            welcome_code=welcome_code,
            text={"content": text} if text is not None else None,
            attachments=attachments,
        )
        return await self._post("externalcontact/send_welcome_msg", payload)

    async def add_group_welcome_template(
        self,
        text: str | None = None,
        *,
        agentid: int | None = None,
        notify: int | None = None,
        **attachment: Attachment,
    ) -> str:
        """Create a group welcome template; returns its `template_id` (doc 92366).

        `text` may use %NICKNAME%. At most one attachment, passed by its type as a keyword:
        image, link, miniprogram, file or video (top-level fields in this API, unlike the
        `attachments` list of send_welcome_msg).
        """
        payload = compact(
            text={"content": text} if text is not None else None,
            agentid=agentid,
            notify=notify,
            **attachment,
        )
        data = await self._post("externalcontact/group_welcome_template/add", payload)
        return str(data["template_id"])

    async def edit_group_welcome_template(
        self,
        template_id: str,
        text: str | None = None,
        *,
        agentid: int | None = None,
        **attachment: Attachment,
    ) -> JsonDict:
        """Replace a group welcome template's text and attachment (doc 92366)."""
        payload = compact(
            template_id=template_id,
            text={"content": text} if text is not None else None,
            agentid=agentid,
            **attachment,
        )
        return await self._post("externalcontact/group_welcome_template/edit", payload)

    async def get_group_welcome_template(self, template_id: str) -> JsonDict:
        """Read a group welcome template (doc 92366)."""
        return await self._post(
            "externalcontact/group_welcome_template/get", {"template_id": template_id}
        )

    async def del_group_welcome_template(self, template_id: str) -> JsonDict:
        """Delete a group welcome template (doc 92366)."""
        return await self._post(
            "externalcontact/group_welcome_template/del", {"template_id": template_id}
        )

    async def get_corp_tag_list(
        self, tag_ids: list[str] | None = None, group_ids: list[str] | None = None
    ) -> list[JsonDict]:
        """The corp's tag groups with their tags (doc 92117)."""
        data = await self._post(
            "externalcontact/get_corp_tag_list", compact(tag_id=tag_ids, group_id=group_ids)
        )
        return list(data.get("tag_group", []))

    async def add_corp_tag(
        self,
        tags: list[str],
        group_id: str | None = None,
        group_name: str | None = None,
        agentid: int | None = None,
    ) -> JsonDict:
        """Add tags to an existing group (`group_id`) or a new one (`group_name`) (doc 92117)."""
        payload = compact(
            group_id=group_id,
            group_name=group_name,
            tag=[{"name": name} for name in tags],
            agentid=agentid,
        )
        data = await self._post("externalcontact/add_corp_tag", payload)
        return dict(data.get("tag_group", {}))

    async def mark_tag(
        self,
        userid: str,
        external_userid: str,
        add_tag: list[str] | None = None,
        remove_tag: list[str] | None = None,
    ) -> JsonDict:
        """Add and remove corp tags on one customer as seen by one staff member (doc 92118)."""
        payload = compact(
            userid=userid,
            external_userid=external_userid,
            add_tag=add_tag or None,
            remove_tag=remove_tag or None,
        )
        return await self._post("externalcontact/mark_tag", payload)

    async def add_contact_way(self, **config: Any) -> JsonDict:
        """Create a 联系我 channel code; returns `config_id` and `qr_code` (doc 92228).

        `config` carries the documented fields: type, scene, state, user, party, skip_verify,
        remark, style, is_temp, expires_in, chat_expires_in, unionid, conclusions.
        """
        return await self._post("externalcontact/add_contact_way", compact(**config))

    async def get_contact_way(self, config_id: str) -> JsonDict:
        """Read a channel code's configuration (doc 92228)."""
        data = await self._post("externalcontact/get_contact_way", {"config_id": config_id})
        return dict(data.get("contact_way", {}))

    async def list_contact_way(
        self,
        start_time: int | None = None,
        end_time: int | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> JsonDict:
        """Page through the corp's channel codes (doc 92228)."""
        payload = compact(start_time=start_time, end_time=end_time, cursor=cursor, limit=limit)
        return await self._post("externalcontact/list_contact_way", payload)

    async def update_contact_way(self, config_id: str, **config: Any) -> JsonDict:
        """Change a channel code's staff, state, remark or options (doc 92228)."""
        return await self._post(
            "externalcontact/update_contact_way", compact(config_id=config_id, **config)
        )

    async def del_contact_way(self, config_id: str) -> JsonDict:
        """Delete a channel code (doc 92228)."""
        return await self._post("externalcontact/del_contact_way", {"config_id": config_id})

    async def add_msg_template(
        self,
        sender: str | None = None,
        text: str | None = None,
        attachments: list[Attachment] | None = None,
        chat_type: str = "single",
        external_userid: list[str] | None = None,
        chat_id_list: list[str] | None = None,
        allow_select: bool = False,
    ) -> JsonDict:
        """Create a mass-message task the sender confirms; returns `msgid` and `fail_list`
        (doc 92135). `allow_select`: the member may change the recipients (自主群发). Not sent
        twice when no answer came: the first may have made the task."""
        payload = compact(
            chat_type=chat_type,
            external_userid=external_userid,
            chat_id_list=chat_id_list,
            sender=sender,
            allow_select=True if allow_select else None,
            text={"content": text} if text is not None else None,
            attachments=attachments,
        )
        return await self._post("externalcontact/add_msg_template", payload, once=True)

    async def group_chats(self, owners: list[str]) -> list[str]:
        """The chat ids of the groups `owners` (≤100) own, every page (doc 92120)."""
        payload = {"status_filter": 0, "owner_filter": {"userid_list": owners}, "limit": 1000}
        rows = await self._pages("externalcontact/groupchat/list", "group_chat_list", payload)
        return [str(row.get("chat_id", "")) for row in rows if row.get("chat_id")]

    async def customers_of(self, userid: str) -> list[str]:
        """Every customer of one member (batch/get_by_user followed to its last page)."""
        payload = {"userid_list": [userid], "limit": 100}
        rows = await self._pages(
            "externalcontact/batch/get_by_user", "external_contact_list", payload, 10_000
        )
        return [str(row["external_contact"]["external_userid"]) for row in rows]

    async def get_group_chat(self, chat_id: str, need_name: bool = True) -> JsonDict:
        """A customer group: name, owner, admins and members with their type (1 staff,
        2 customer), join time and scene; `need_name` adds members' names (doc 92122)."""
        data = await self._post(
            "externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": int(need_name)}
        )
        return dict(data.get("group_chat", {}))

    async def get_follow_user_list(self) -> list[str]:
        """Staff members with customer-contact enabled (doc 92571); `doctor` uses it as a probe."""
        data = await self._get("externalcontact/get_follow_user_list")
        return [str(user) for user in data.get("follow_user", [])]

    async def batch_get_by_user(
        self, userids: list[str], cursor: str = "", limit: int = 100
    ) -> JsonDict:
        """One page of the customers of up to 100 members, each with that member's
        `follow_info` (tag ids only), and `next_cursor` ("" on the last page) (doc 92994)."""
        payload = {"userid_list": userids, "cursor": cursor, "limit": limit}
        return await self._post("externalcontact/batch/get_by_user", payload)
