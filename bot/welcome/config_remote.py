"""The WeCom half of an import: channel codes (contact ways) and group welcome templates.

WeCom can't take part in a Redis transaction, so its writes are ordered around it:
- before the transaction (so Redis records what WeCom really has): contact ways and group
  welcome templates are created or changed. If the transaction then fails (the configuration
  changed meanwhile), these are undone: what was created is deleted, what was changed is put
  back in line with what Redis holds.
- after the transaction commits: contact ways and templates of removed items are deleted. A
  failure there leaves an unused code or template in WeCom (reported), never a stored channel
  whose code is gone.
A `config_id` / `template_id` in the file that Redis doesn't know is looked up while planning:
if WeCom still has it (a backup restored), it is taken over; if not, a new one is created.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from bot.config_io.items import Item
from bot.config_io.sections import all_sections
from bot.config_io.undo import Undo
from bot.keys import RedisKeys
from bot.wecom import WeComClient, WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.api.user import UserAPI
from bot.wecom.errors import ErrCode
from bot.welcome.channel_refs import ChannelReferences
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.config_section import ChannelsSection, GroupWelcomesSection
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.group import GONE_ERRCODES, KINDS, GroupWelcome

if TYPE_CHECKING:
    from bot.config_io.plan import Plan, SectionPlan

WAY_GONE_ERRCODES = frozenset({ErrCode.CONTACT_WAY_GONE})


@dataclass
class RemoteLookups:
    """What WeCom holds for ids the file names but Redis doesn't know (taken over if there)."""

    ways: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel id -> contact way
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # welcome id -> content


def _wecom_fields(channel: Channel) -> tuple[Any, ...]:
    """What the contact way is made from: a change to any of these is sent to WeCom."""
    return (
        channel.name,
        channel.users,
        channel.slots,
        channel.backup,
        channel.daily_limit,
        channel.skip_verify,
    )


def _named(channel: Channel) -> tuple[list[str], list[str]]:
    """What a channel names in WeCom besides its code: members and tags."""
    return channel.staff(), channel.tags


class RemoteSide:
    """Looks up, writes and undoes the WeCom objects behind channels and group welcomes, and
    runs the WeCom hooks of every other section kept in WeCom too (`ConfigSection.in_wecom`,
    e.g. group live codes) with `wecom`. With `users`, the staff and tags of each new or
    changed channel are looked up too."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        api: ExternalContactAPI | None,
        users: UserAPI | None = None,
        wecom: WeComClient | None = None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api
        self._wecom = wecom
        self._channels = ChannelManager(ChannelStore(redis, keys), api) if api else None
        self._references = ChannelReferences(redis, keys, users, api) if api and users else None

    def missing_client(self, sections: dict[str, SectionPlan]) -> str | None:
        """Why this plan can't be applied without a WeCom client, if it can't."""
        changed = {name for name, section in sections.items() if section.has_changes}
        if self._api is None and changed & {"channels", "group_welcomes"}:
            return "渠道活码和入群欢迎语的改动要写入企业微信，需要企业微信接口"
        if self._wecom is None:
            for name in sorted(changed & set(_kept_in_wecom())):
                return f"{all_sections()[name].label}的改动要写入企业微信，需要企业微信接口"
        return None

    async def lookup(
        self, desired: dict[str, dict[str, Item]], current: dict[str, dict[str, Item]]
    ) -> tuple[RemoteLookups, list[str], list[str]]:
        """(lookups, problems, notes) for the WeCom ids in the file that Redis doesn't know."""
        found, problems, notes = RemoteLookups(), [], []
        for item in desired.get("channels", {}).values():
            stored = current["channels"].get(item.key)
            channel: Channel = item.model
            if not channel.config_id or (stored and stored.model.config_id):
                continue
            if self._api is None:
                problems.append(f"{item.where}: 需要企业微信接口核对 config_id")
                continue
            try:
                way = await self._api.get_contact_way(channel.config_id)
            except WeComError as exc:
                if exc.errcode not in WAY_GONE_ERRCODES:
                    raise
                notes.append(
                    f"渠道 {item.key}：企业微信中没有活码 {channel.config_id}，将新建（二维码会变）"
                )
                channel.config_id, channel.qr_code = "", ""
            else:
                if way.get("state") != channel.state:
                    problems.append(
                        f"{item.where}: 企业微信中的活码 {channel.config_id} 属于 "
                        f"state {way.get('state')!r}，不是 {channel.state}"
                    )
                    continue
                notes.append(f"渠道 {item.key}：沿用企业微信中已有的活码 {channel.config_id}")
                found.ways[item.key] = way
                channel.qr_code = str(way.get("qr_code", ""))
            item.data = ChannelsSection().export(channel)
        problems += await self._channel_references(desired, current)
        for item in desired.get("group_welcomes", {}).values():
            stored = current["group_welcomes"].get(item.key)
            welcome: GroupWelcome = item.model
            if not welcome.template_id or (stored and stored.model.template_id):
                continue
            if self._api is None:
                problems.append(f"{item.where}: 需要企业微信接口核对 template_id")
                continue
            try:
                found.templates[item.key] = await self._api.get_group_welcome_template(
                    welcome.template_id
                )
                notes.append(f"入群欢迎语 {item.key}：沿用企业微信中的模板 {welcome.template_id}")
            except WeComError as exc:
                if exc.errcode not in GONE_ERRCODES:
                    raise
                notes.append(
                    f"入群欢迎语 {item.key}：企业微信中没有模板 {welcome.template_id}，将新建"
                )
                welcome.template_id = ""
                item.data = GroupWelcomesSection().export(welcome)
        return found, problems, notes

    async def _channel_references(
        self, desired: dict[str, dict[str, Item]], current: dict[str, dict[str, Item]]
    ) -> list[str]:
        """Members and tags WeCom lacks, of each channel whose staff or tags the file changes."""
        if self._references is None:
            return []
        problems = []
        for item in desired.get("channels", {}).values():
            channel: Channel = item.model
            stored = current["channels"].get(item.key)
            if stored is not None and _named(stored.model) == _named(channel):
                continue
            problems += [f"{item.where}: {p}" for p in await self._references.problems(channel)]
        return problems

    async def prepare(self, plan: Plan) -> Undo:
        """Write the added and changed channels and group welcomes to WeCom (their models get
        config_id, qr_code, active, template_id, updated_at); undone on any failure."""
        undo = Undo()
        try:
            await self._prepare_channels(plan, undo)
            await self._prepare_group_welcomes(plan, undo)
            for name in _kept_in_wecom():
                if name in plan.sections and plan.sections[name].has_changes:
                    assert self._wecom is not None  # missing_client refused the plan
                    await all_sections()[name].write_wecom(plan, self._wecom, undo)
        except BaseException:
            await undo.run()
            raise
        return undo

    async def _prepare_channels(self, plan: Plan, undo: Undo) -> None:
        section = plan.sections.get("channels")
        if section is None or not section.has_changes:
            return
        api, manager = self._api, self._channels
        assert api is not None and manager is not None  # missing_client refused the plan
        for item in [*section.added, *(new for _old, new in section.changed)]:
            channel: Channel = item.model
            stored = plan.current["channels"].get(item.key)
            way = plan.remote.ways.get(item.key)
            if not channel.config_id:
                await manager.add_remote(channel)
                undo.add(partial(api.del_contact_way, channel.config_id))
            elif way is not None:
                await manager.update_remote(channel, await manager.serving_now(channel))
                was = {k: way.get(k) for k in ("user", "party", "state", "skip_verify", "remark")}
                undo.add(partial(api.update_contact_way, channel.config_id, **was))
            elif stored is None or _wecom_fields(stored.model) != _wecom_fields(channel):
                await manager.update_remote(channel, await manager.serving_now(channel))
                undo.add(partial(self._restore_channel, channel.id))

    async def _restore_channel(self, channel_id: str) -> None:
        assert self._channels is not None
        stored = await self._channels.store.get(channel_id)
        if stored is not None and stored.config_id:
            await self._channels.refresh(stored, force=True)

    async def _prepare_group_welcomes(self, plan: Plan, undo: Undo) -> None:
        section = plan.sections.get("group_welcomes")
        if section is None or not section.has_changes:
            return
        api = self._api
        assert api is not None
        now = int(time.time())
        for item in [*section.added, *(new for _old, new in section.changed)]:
            welcome: GroupWelcome = item.model
            stored = plan.current["group_welcomes"].get(item.key)
            remote = plan.remote.templates.get(item.key)
            text, attachment = welcome.api_fields()
            if not welcome.template_id:
                welcome.template_id = await api.add_group_welcome_template(text, **attachment)
                undo.add(partial(api.del_group_welcome_template, welcome.template_id))
            elif remote is not None:
                await api.edit_group_welcome_template(welcome.template_id, text, **attachment)
                before: dict[str, Any] = {
                    k: v for k, v in remote.items() if k in KINDS and isinstance(v, dict)
                }
                content = (remote.get("text") or {}).get("content") or None
                undo.add(
                    partial(api.edit_group_welcome_template, welcome.template_id, content, **before)
                )
            elif stored is None or stored.model.content() != welcome.content():
                await api.edit_group_welcome_template(welcome.template_id, text, **attachment)
                undo.add(partial(self._restore_group_welcome, welcome.id))
            else:  # only the name changed: WeCom doesn't hold it
                welcome.updated_at = stored.model.updated_at
                continue
            welcome.updated_at = now

    async def _restore_group_welcome(self, welcome_id: str) -> None:
        assert self._api is not None
        raw = await self._redis.hget(self._keys.group_welcomes, welcome_id)
        if raw:
            stored = GroupWelcome.from_json(raw)
            text, attachment = stored.api_fields()
            await self._api.edit_group_welcome_template(stored.template_id, text, **attachment)

    async def finish(self, plan: Plan) -> list[str]:
        """After the commit: delete removed items' codes and templates; returns warnings."""
        warnings: list[str] = []
        for name in _kept_in_wecom():
            if name in plan.sections and plan.sections[name].removed and self._wecom:
                warnings += await all_sections()[name].finish_wecom(plan, self._wecom)
        if self._api is None:
            return warnings
        for name, gone, delete in (
            ("channels", WAY_GONE_ERRCODES, self._api.del_contact_way),
            ("group_welcomes", GONE_ERRCODES, self._api.del_group_welcome_template),
        ):
            section = plan.sections.get(name)
            if section is None:
                continue
            for item in section.removed:
                remote_id = item.model.config_id if name == "channels" else item.model.template_id
                if not remote_id:
                    continue
                try:
                    await delete(remote_id)
                except WeComError as exc:
                    if exc.errcode not in gone:
                        warnings.append(
                            f"{section.label} {item.key} 已删除，但企业微信中的 {remote_id} "
                            f"未能删除（{exc.errcode}），请在管理后台删除"
                        )
        return warnings


def _kept_in_wecom() -> list[str]:
    """Sections other than channels and group welcomes whose items live in WeCom too."""
    return [name for name, section in all_sections().items() if section.in_wecom]
