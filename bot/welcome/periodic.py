"""The welcome feature's periodic work: channel codes follow their rotation and daily limits,
and the admins get yesterday's digest of welcomes that did not go out."""

from __future__ import annotations

from bot.clock import corp_now
from bot.context import HandlerContext
from bot.periodic import PeriodicWork
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.digest import send_daily_digest

CHANNEL_REFRESH_SECONDS = 60.0
DIGEST_CHECK_SECONDS = 60.0


def periodic(ctx: HandlerContext) -> list[PeriodicWork]:
    channels = ChannelManager(ctx.services.channels, ctx.wecom.external_contact)
    settings = ctx.settings

    async def digest() -> bool:
        return await send_daily_digest(
            ctx.redis,
            ctx.keys,
            ctx.wecom.message,
            settings.admins,
            settings.digest_hour,
            corp_now(),
        )

    return [
        # each channel code serves the staff its time slots and daily limits say, within a minute
        PeriodicWork(
            "channel-rotation",
            CHANNEL_REFRESH_SECONDS,
            channels.refresh_all,
            ctx.keys.channels_lock,
            lock_ttl=50,
        ),
        # the day's marker in Redis makes it one digest per day across processes
        PeriodicWork("welcome-digest", DIGEST_CHECK_SECONDS, digest),
    ]
