"""Keeps each channel's WeCom contact way handing out the right staff."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.welcome.channels import MAX_REMARK_CHARS, Channel, ChannelStore, validate_channel
from bot.welcome.templates import corp_now

log = logging.getLogger(__name__)

MULTI_USER, QR_CODE = 2, 2  # add_contact_way type and scene


class ChannelManager:
    """Creates, updates and deletes channels, in WeCom and in Redis together."""

    def __init__(
        self, store: ChannelStore, api: ExternalContactAPI, now: Callable[[], datetime] = corp_now
    ) -> None:
        self.store = store
        self._api = api
        self._now = now

    def day(self) -> str:
        return self._now().strftime("%Y-%m-%d")

    async def create(self, channel: Channel) -> Channel:
        validate_channel(channel)
        channel = await self.store.save(channel)  # an id, so the State exists
        await self.add_remote(channel)
        return await self.store.save(channel)

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
        validate_channel(channel)
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
            try:
                changed += await self.refresh(channel)
            except WeComError as exc:  # one broken channel must not hold up the others
                log.warning("channel %s not refreshed: %s", channel.id, exc)
        return changed
