"""The small typed context every handler receives beside its event."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.config import Settings
from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.storage.topology import RedisClient
from bot.text.guard import TextGuard
from bot.wecom import WeComClient


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where an event is in the pipeline: its stream entry, receipt time and attempt."""

    entry_id: str = ""
    received_ms: int = 0
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """The services a handler may use; features add theirs here as they arrive."""

    settings: Settings
    redis: RedisClient  # one server, a Sentinel master or a cluster: the same commands
    keys: RedisKeys
    wecom: WeComClient
    metrics: Metrics
    text: TextGuard
    log: logging.Logger
    delivery: Delivery = Delivery()

    def for_delivery(self, delivery: Delivery) -> HandlerContext:
        return replace(self, delivery=delivery)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.settings.admins
