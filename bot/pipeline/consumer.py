"""The event pipeline: a Redis Streams consumer group feeding the dispatcher.

- new entries come with XREADGROUP and are handled concurrently (bounded);
- success: XACK + XDEL in one transaction, so the stream holds only unfinished work;
- failure: the entry stays pending and its id goes into a retry sorted set with a backoff;
  any process's retry loop claims it when due (XCLAIM, which also counts the delivery);
- after `max_attempts` deliveries, or a `PermanentFailure`, it moves to the dead-letter stream;
- entries pending on a consumer that died are taken over with XAUTOCLAIM once idle, or within
  seconds when it kept a heartbeat that stopped (a SIGKILLed or OOM-killed process);
- with several handlers per event, each success is recorded so a retry skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.background import stop_tasks
from bot.config import PipelineSettings
from bot.context import Delivery, HandlerContext
from bot.events import ChatText, Event, XmlRejected, parse_event
from bot.keys import RedisKeys
from bot.logs import log_context
from bot.pipeline.claims import GROUP as GROUP  # the group name, for readers of the stream
from bot.pipeline.claims import Claimed, Claims, Fields
from bot.pipeline.deadletter import move_to_dead_letters
from bot.pipeline.liveness import HEARTBEAT_SECONDS, Liveness
from bot.pipeline.middlewares import PermanentFailure
from bot.routing import Dispatcher
from bot.storage.batching import GroupCommit

log = logging.getLogger(__name__)

DONE_TTL_SECONDS = 7 * 86400


class EventPipeline:
    """Consumes `keys.events` as one consumer of the group `bot`."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        dispatcher: Dispatcher,
        ctx: HandlerContext,
        settings: PipelineSettings,
        consumer: str | None = None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._dispatcher = dispatcher
        self._ctx = ctx
        self.settings = settings
        self.consumer = (
            consumer or f"{socket.gethostname()}-{os.getpid()}-{random.getrandbits(24):06x}"
        )
        self._stopping = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._acks: GroupCommit[str, None] = GroupCommit(self._ack_batch)
        # done-marks of concurrent events share round trips, as acks do
        self._marks: GroupCommit[tuple[str, str], None] = GroupCommit(self._mark_batch)
        self._liveness = Liveness(redis, keys, self.consumer)
        self._claims = Claims(redis, keys, self.consumer, settings, self._liveness)
        self._heartbeat: asyncio.Task[None] | None = None
        self._rescheduling: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._ensure_group()
        loops = (self._read_loop, self._retry_loop, self._reclaim_loop, self._takeover_loop)
        for loop in loops:
            self._loops.append(asyncio.create_task(self._forever(loop), name=loop.__name__))
        # beats until `stop` has drained the work in flight, not just until the loops end
        self._heartbeat = asyncio.create_task(self._liveness.run(), name="heartbeat")

    async def _ensure_group(self) -> None:
        try:
            # "0", not "$": events enqueued before the group existed must be handled too
            await self._redis.xgroup_create(self._keys.events, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def stop(self) -> None:
        """Stop reading, let in-flight events finish (up to the grace period), then cancel."""
        self._stopping.set()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._inflight:
            _, late = await asyncio.wait(
                list(self._inflight.values()), timeout=self.settings.shutdown_grace_seconds
            )
            await stop_tasks(late)  # left pending in Redis; another consumer takes them over
        if self._heartbeat is not None:
            await stop_tasks([self._heartbeat])
        with contextlib.suppress(RedisError, OSError):  # what is left is taken over at once
            await self._liveness.stop()

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    async def _forever(self, loop: Callable[[], Awaitable[None]]) -> None:
        while not self._stopping.is_set():
            try:
                await loop()
            except Exception as exc:  # a loop must never die: log, repair, go on
                await self._recover(loop.__name__, exc)

    async def _recover(self, name: str, exc: Exception) -> None:
        try:
            if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                # the stream was deleted under us (FLUSHDB, a Redis without persistence)
                log.warning("pipeline %s: consumer group missing, creating it again", name)
                await self._ensure_group()
                return
            if isinstance(exc, RedisError | OSError):
                log.warning("pipeline %s: Redis error, retrying in 1 s: %s", name, exc)
            else:
                log.error("pipeline %s failed; restarting it in 1 s", name, exc_info=exc)
        except (RedisError, OSError) as again:
            log.warning("pipeline %s: Redis still failing: %s", name, again)
        await self._pause(1.0)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _free_slots(self) -> int:
        return self.settings.concurrency - len(self._inflight)

    async def _read_loop(self) -> None:
        if self._free_slots() <= 0:
            self._slot_free.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._slot_free.wait(), timeout=1.0)
            return
        result = await self._redis.xreadgroup(
            GROUP,
            self.consumer,
            {self._keys.events: ">"},
            count=self._free_slots(),
            block=self.settings.block_ms,
        )
        for _stream, entries in result or []:
            for entry_id, fields in entries:
                self._spawn(entry_id, fields, redelivered=False)

    async def _retry_loop(self) -> None:
        due = await self._redis.zrangebyscore(
            self._keys.retry_schedule, "-inf", time.time(), start=0, num=max(self._free_slots(), 1)
        )
        for entry_id in due:
            if entry_id in self._inflight or not await self._redis.zrem(
                self._keys.retry_schedule, entry_id
            ):
                continue  # another process took it
            claimed = await self._redis.xclaim(
                self._keys.events, GROUP, self.consumer, min_idle_time=0, message_ids=[entry_id]
            )
            await self._spawn_claimed(claimed)
        await self._pause(0.1 if due else 0.25)

    async def _reclaim_loop(self) -> None:
        async for claimed in self._claims.idle():
            await self._spawn_claimed(claimed)
            if self._stopping.is_set():
                return
        await self._claims.forget_idle_consumers()
        await self._pause(max(self.settings.reclaim_idle_seconds / 4, 0.05))

    async def _takeover_loop(self) -> None:
        await self._pause(HEARTBEAT_SECONDS)
        await self._spawn_claimed(await self._claims.of_silent_consumers())

    async def _spawn_claimed(self, claimed: Claimed) -> None:
        gone = [entry_id for entry_id, fields in claimed if not fields]
        if gone:  # pending, but the entry itself was trimmed away: nothing left to handle
            await self._redis.xack(self._keys.events, GROUP, *gone)
        for entry_id, fields in claimed:
            if fields:
                self._spawn(entry_id, fields, redelivered=True)

    def _spawn(self, entry_id: str, fields: Fields, *, redelivered: bool) -> None:
        if entry_id in self._inflight:
            return
        task = asyncio.create_task(self._handle(entry_id, fields, redelivered))
        self._inflight[entry_id] = task
        task.add_done_callback(lambda _t: self._finished(entry_id))

    def _finished(self, entry_id: str) -> None:
        self._inflight.pop(entry_id, None)
        self._slot_free.set()

    async def _handle(self, entry_id: str, fields: Fields, redelivered: bool) -> None:
        try:
            with log_context(event_id=entry_id):  # handlers add the event's own fields
                await self._process(entry_id, fields, redelivered)
        except (RedisError, OSError) as exc:
            # still pending, and perhaps not in the retry schedule (putting it there failed
            # too): put it there once Redis answers, rather than leave it to the idle reclaim
            log.warning("event %s left pending after a Redis error: %s", entry_id, exc)
            task = asyncio.create_task(self._retry_when_redis_answers(entry_id))
            self._rescheduling.add(task)
            task.add_done_callback(self._rescheduling.discard)

    async def _retry_when_redis_answers(self, entry_id: str) -> None:
        while not self._stopping.is_set():
            await self._pause(1.0)
            with contextlib.suppress(RedisError, OSError):
                await self._redis.zadd(self._keys.retry_schedule, {entry_id: time.time()})
                return

    async def _process(self, entry_id: str, fields: Fields, redelivered: bool) -> None:
        attempt = await self._delivery_count(entry_id) if redelivered else 1
        received_ms = int(fields.get("received_ms") or 0)
        ctx = self._ctx.for_delivery(Delivery(entry_id, received_ms, attempt))
        try:
            event: Event = (
                ChatText.from_json(fields["chat"])
                if "chat" in fields
                else parse_event(fields.get("xml", ""))
            )
        except (XmlRejected, ValueError, KeyError, TypeError) as exc:
            await self._dead_letter(entry_id, fields, f"unparseable event: {exc}", attempt)
            return
        name = type(event).__name__
        done_key = self._keys.handlers_done(entry_id)
        skip: set[str] = set(await self._redis.smembers(done_key)) if redelivered else set()

        async def mark_done(handler: str) -> None:
            await self._marks.submit((done_key, handler))

        several = len(self._dispatcher.handlers_for(type(event))) > 1
        try:
            async with asyncio.timeout(self.settings.handler_timeout_seconds):
                ran = await self._dispatcher.dispatch(
                    event, ctx, skip, mark_done if several else None
                )
        except PermanentFailure as exc:
            await self._dead_letter(entry_id, fields, str(exc), attempt)
            self._ctx.metrics.events_handled.labels(event=name, outcome="dead").inc()
            return
        except Exception as exc:  # any handler bug: retry, then dead-letter
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt >= self.settings.max_attempts:
                await self._dead_letter(entry_id, fields, reason, attempt)
                self._ctx.metrics.events_handled.labels(event=name, outcome="dead").inc()
            else:
                await self._schedule_retry(entry_id, attempt)
                self._ctx.metrics.events_handled.labels(event=name, outcome="retry").inc()
            return
        if not ran and not skip:
            log.debug("no handler for %s (entry %s)", name, entry_id)
        await self._ack(entry_id)
        self._ctx.metrics.events_handled.labels(event=name, outcome="ok").inc()
        if received_ms:
            self._ctx.metrics.pipeline_lag.observe(max(time.time() - received_ms / 1000, 0.0))

    async def _delivery_count(self, entry_id: str) -> int:
        rows = await self._redis.xpending_range(
            self._keys.events, GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(rows[0]["times_delivered"]) if rows else 1

    async def _ack(self, entry_id: str) -> None:
        await self._acks.submit(entry_id)

    async def _ack_batch(self, entry_ids: list[str]) -> list[None]:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.xack(self._keys.events, GROUP, *entry_ids)
            tx.xdel(self._keys.events, *entry_ids)
            tx.delete(*(self._keys.handlers_done(entry_id) for entry_id in entry_ids))
            await tx.execute()
        return [None] * len(entry_ids)

    async def _mark_batch(self, marks: list[tuple[str, str]]) -> list[None]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for done_key, handler in marks:
                pipe.sadd(done_key, handler)
                pipe.expire(done_key, DONE_TTL_SECONDS)
            await pipe.execute()
        return [None] * len(marks)

    async def _schedule_retry(self, entry_id: str, attempt: int) -> None:
        ceiling = min(
            self.settings.retry_max_seconds, self.settings.retry_base_seconds * 2 ** (attempt - 1)
        )
        due = time.time() + random.uniform(ceiling / 2, ceiling)
        await self._redis.zadd(self._keys.retry_schedule, {entry_id: due})

    async def _dead_letter(self, entry_id: str, fields: Fields, error: str, attempt: int) -> None:
        log.error("event %s dead-lettered after %d attempt(s): %s", entry_id, attempt, error)
        await move_to_dead_letters(self._redis, self._keys, GROUP, entry_id, fields, error, attempt)
