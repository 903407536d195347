"""The corp's RFM run as every caller makes it: the daily job of `serve` and `scrm-bot rfm run`.

A customer's segment change is seen once: the run that sees it stores the new segment, and the
next run finds nothing changed. So whatever follows a change — the SOPs waiting for a segment —
must be wired into every run, which is why both callers build the runner here.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.rfm.runner import RfmRunner
from bot.sop.triggers import segment_entered
from bot.wecom import WeComClient


def corp_runner(redis: Redis, keys: RedisKeys, wecom: WeComClient, settings: Settings) -> RfmRunner:
    """The runner whose tag sync starts the segment-triggered SOPs of each follower."""
    return RfmRunner(
        redis,
        keys,
        wecom.external_contact,
        window_days=settings.rfm_window_days,
        on_segment=segment_entered(redis, keys, wecom.user),
    )
