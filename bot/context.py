"""The small typed context every handler receives beside its event."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.config import Settings
from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.services import Services
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
    """What a handler, a periodic job, admin chat and the sidebar work with: settings, the
    clients, the outgoing-text check, and every store (`services`, built once per context and
    shared by its per-delivery copies)."""

    settings: Settings
    redis: RedisClient  # one server, a Sentinel master or a cluster: the same commands
    keys: RedisKeys
    wecom: WeComClient
    metrics: Metrics
    text: TextGuard
    log: logging.Logger
    delivery: Delivery = Delivery()
    shared: Services | None = None  # given, or built in __post_init__; use `services`

    def __post_init__(self) -> None:
        if self.shared is None:
            object.__setattr__(self, "shared", Services(self.redis, self.keys, self.wecom))

    @property
    def services(self) -> Services:
        """Every store and shared service, built once (see `bot.services`)."""
        assert self.shared is not None  # set by __post_init__
        return self.shared

    def for_delivery(self, delivery: Delivery) -> HandlerContext:
        return replace(self, delivery=delivery)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.settings.admins
