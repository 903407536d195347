"""Taking over the entries of consumers that stopped, for one consumer of the group.

Two ways to notice a consumer stopped: its entries sat idle for `reclaim_idle_seconds`
(XAUTOCLAIM: any consumer, also one of an older version), or its heartbeat stopped (a process
SIGKILLed or OOM-killed: taken over within seconds, see `bot.pipeline.liveness`). Either way an
entry waiting in the retry schedule is left to the retry loop, which claims it when due.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from bot.config import PipelineSettings
from bot.keys import RedisKeys
from bot.pipeline.liveness import LIVENESS_SECONDS, Liveness

log = logging.getLogger(__name__)

GROUP = "bot"
Fields = dict[str, str]
Claimed = list[tuple[str, Fields | None]]  # (entry id, fields; None when the entry is gone)


class Claims:
    """One consumer's claims on the entries other, stopped consumers left pending."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        consumer: str,
        settings: PipelineSettings,
        liveness: Liveness,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._consumer = consumer
        self._settings = settings
        self._liveness = liveness

    async def idle(self) -> AsyncIterator[Claimed]:
        """Batches of entries idle past `reclaim_idle_seconds`, now this consumer's."""
        idle_ms = int(self._settings.reclaim_idle_seconds * 1000)
        start = "0-0"
        while True:
            reply = await self._redis.xautoclaim(
                self._keys.events, GROUP, self._consumer, idle_ms, start_id=start, count=100
            )
            start, claimed = reply[0], reply[1]
            waiting = await self._not_scheduled(claimed)
            if waiting:
                log.warning("reclaimed %d event(s) from a stopped consumer", len(waiting))
            yield waiting
            if start == "0-0":
                return

    async def of_silent_consumers(self) -> Claimed:
        """The entries of consumers whose heartbeat stopped, now this consumer's."""
        taken: Claimed = []
        for name in await self._liveness.dead():
            pending = await self._redis.xpending_range(
                self._keys.events, GROUP, min="-", max="+", count=100, consumername=name
            )
            if not pending:  # nothing left: stop watching it (the group forgets it later)
                await self._liveness.forget(name)
                continue
            claimed = await self._redis.xclaim(
                self._keys.events,
                GROUP,
                self._consumer,
                min_idle_time=LIVENESS_SECONDS * 1000,
                message_ids=[p["message_id"] for p in pending],
            )
            waiting = await self._not_scheduled(claimed)
            if waiting:
                log.warning(
                    "took over %d event(s) of %s, whose heartbeat stopped", len(waiting), name
                )
            taken += waiting
        return taken

    async def forget_idle_consumers(self) -> None:
        """Drop consumers of stopped processes once they hold nothing, so the group stays small."""
        idle_ms = self._settings.forget_consumer_after_seconds * 1000
        for consumer in await self._redis.xinfo_consumers(self._keys.events, GROUP):
            name = consumer["name"]
            if name != self._consumer and consumer["pending"] == 0 and consumer["idle"] > idle_ms:
                await self._redis.xgroup_delconsumer(self._keys.events, GROUP, name)
                await self._liveness.forget(name)

    async def _not_scheduled(self, claimed: Claimed) -> Claimed:
        """Those not waiting in the retry schedule (the retry loop claims those when due)."""
        return [
            entry
            for entry in claimed
            if await self._redis.zscore(self._keys.retry_schedule, entry[0]) is None
        ]
