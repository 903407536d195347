"""Keeps each channel's WeCom contact way handing out the right staff."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.clock import corp_now
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.welcome.channel_refs import ChannelReferences
from bot.welcome.channels import MAX_REMARK_CHARS, Channel, ChannelStore, validate_channel
from bot.welcome.templates import TemplateError

log = logging.getLogger(__name__)

MULTI_USER, QR_CODE = 2, 2  # add_contact_way type and scene


class ChannelManager:
    """Creates, updates and deletes channels, in WeCom and in Redis together. With
    `references`, a channel naming a member or tag WeCom doesn't have is refused first."""

    def __init__(
        self,
        store: ChannelStore,
        api: ExternalContactAPI,
        now: Callable[[], datetime] = corp_now,
        *,
        references: ChannelReferences | None = None,
    ) -> None:
        self.store = store
        self._api = api
        self._now = now
        self._references = references

    def day(self) -> str:
        return self._now().strftime("%Y-%m-%d")

    async def create(self, channel: Channel) -> Channel:
        """Check, create the contact way, then store: a channel WeCom refused is not kept
        (it would have no code, and the rotation would retry it every minute)."""
        await self.check(channel)
        channel.id = channel.id or await self.store.new_id()  # the State needs it
        await self.add_remote(channel)
        return await self.store.save(channel)

    async def check(self, channel: Channel) -> None:
        """`TemplateError` naming every problem: the channel's own rules, then (with
        `references`) each member and tag WeCom doesn't have."""
        validate_channel(channel)
        if self._references is not None:
            problems = await self._references.problems(channel)
            if problems:
                raise TemplateError("；".join(problems))

    async def add_remote(self, channel: Channel) -> None:
        """Create the channel's contact way in WeCom (only there): sets `active`, `config_id`
        and `qr_code`. The channel needs its id already, for the State."""
        channel.active = channel.serving(self._now(), {})
        data = await self._api.add_contact_way(
            type=MULTI_USER,
            scene=QR_CODE,
            state=channel.state,
            user=channel.active,
            skip_verify=channel.skip_verify,
            remark=channel.name[:MAX_REMARK_CHARS],
        )
        channel.config_id = str(data["config_id"])
        channel.qr_code = str(data.get("qr_code", ""))

    async def update(self, channel: Channel) -> Channel:
        await self.check(channel)
        if not channel.config_id:  # stored without a code by an older version: make one now
            await self.add_remote(channel)
            return await self.store.save(channel)
        await self.refresh(channel, force=True)
        return channel

    async def refresh(self, channel: Channel, *, force: bool = False) -> bool:
        """Update the contact way if the staff it should hand out changed; True if it did."""
        serving = await self.serving_now(channel)
        if not force and serving == channel.active:
            return False
        await self.update_remote(channel, serving)
        await self.store.save(channel)
        log.info("channel %s now hands out %s", channel.id, ", ".join(serving))
        return True

    async def serving_now(self, channel: Channel) -> list[str]:
        """The staff the channel's code should hand out now, after today's adds."""
        return channel.serving(self._now(), await self.store.adds_today(channel.id, self.day()))

    async def update_remote(self, channel: Channel, serving: list[str]) -> None:
        """Point the channel's contact way in WeCom (only there) at `serving` and the channel's
        name and options; sets `active`."""
        await self._api.update_contact_way(
            channel.config_id,
            user=serving,
            state=channel.state,
            skip_verify=channel.skip_verify,
            remark=channel.name[:MAX_REMARK_CHARS],
        )
        channel.active = serving

    async def delete(self, channel: Channel) -> None:
        if channel.config_id:
            await self._api.del_contact_way(channel.config_id)
        await self.store.delete(channel.id)

    async def refresh_all(self) -> int:
        """Follow every channel's rotation and the new day's limits; returns how many changed."""
        changed = 0
        for channel in await self.store.list():
            if not channel.config_id:  # no code to point (see `update`): nothing to refresh
                continue
            try:
                changed += await self.refresh(channel)
            except WeComError as exc:  # one broken channel must not hold up the others
                log.warning("channel %s not refreshed: %s", channel.id, exc)
        return changed
