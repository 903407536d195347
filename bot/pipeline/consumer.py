"""The event pipeline: a Redis Streams consumer group feeding the dispatcher.

- new entries come with XREADGROUP and are handled concurrently (bounded);
- success: XACK + XDEL in one transaction, so the stream holds only unfinished work;
- failure: the entry stays pending and its id goes into a retry sorted set with a backoff;
  any process's retry loop claims it when due (XCLAIM, which also counts the delivery);
- after `max_attempts` deliveries, or a `PermanentFailure`, it moves to the dead-letter stream;
- entries pending on a consumer that died are taken over with XAUTOCLAIM once idle, or within
  seconds when it kept a heartbeat that stopped (a SIGKILLed or OOM-killed process);
- with several handlers per event, each success is recorded so a retry skips it;
- urgent routers' handlers run at once, the others in the later lane (`bot.pipeline.later`).
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
from dataclasses import dataclass
from functools import partial

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
from bot.pipeline.later import LaterLane, LaterSettings
from bot.pipeline.liveness import HEARTBEAT_SECONDS, Liveness
from bot.pipeline.middlewares import PermanentFailure
from bot.pipeline.priority import BUSY_BATCH, CallbackPressure
from bot.pipeline.stream import EventStream
from bot.routing import Dispatched, Dispatcher

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    """One delivery of an event on its way through the lanes."""

    entry_id: str
    fields: Fields
    event: Event
    ctx: HandlerContext
    attempt: int
    received_ms: int
    skip: set[str]  # handlers done: in an earlier delivery, or in the urgent lane
    several: bool  # more than one handler: each is marked done as it finishes


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
        pressure: CallbackPressure | None = None,
    ) -> None:
        self._redis = redis
        self._pressure = pressure  # callbacks served by this process: they go first
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
        self._stream = EventStream(redis, keys, self.consumer, settings)
        self._liveness = Liveness(redis, keys, self.consumer)
        self._claims = Claims(redis, keys, self.consumer, settings, self._liveness)
        self._heartbeat: asyncio.Task[None] | None = None
        self._rescheduling: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()  # no urgent work in flight: the later lane may run
        self._idle.set()
        # waiting entries are touched well inside the idle reclaim, so none is taken over
        later = LaterSettings(touch_every=settings.reclaim_idle_seconds / 4)
        self._later = LaterLane(self._idle, self._stream.touch, later)

    async def start(self) -> None:
        try:
            await self._stream.ensure_group()
        except (RedisError, OSError) as exc:  # serve on: the loops create it (NOGROUP) later
            log.warning("pipeline started without Redis (%s); the group is checked later", exc)
        loops = (self._read_loop, self._retry_loop, self._reclaim_loop, self._takeover_loop)
        for loop in loops:
            self._loops.append(asyncio.create_task(self._forever(loop), name=loop.__name__))
        self._later.start()
        # beats until `stop` has drained the work in flight, not just until the loops end
        self._heartbeat = asyncio.create_task(self._liveness.run(), name="heartbeat")

    async def stop(self) -> None:
        """Stop reading, let in-flight events finish (up to the grace period), then cancel."""
        self._stopping.set()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._inflight:
            _, late = await asyncio.wait(
                list(self._inflight.values()), timeout=self.settings.shutdown_grace_seconds
            )
            await stop_tasks(late)  # left pending in Redis; another consumer takes them over
        await self._later.stop(self.settings.shutdown_grace_seconds)
        if self._heartbeat is not None:
            await stop_tasks([self._heartbeat])
        with contextlib.suppress(RedisError, OSError):  # what is left is taken over at once
            await self._liveness.stop()

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
                await self._stream.ensure_group()
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
        if self._later.full:  # the bookkeeping is that far behind: read nothing new
            return 0
        return self.settings.concurrency - len(self._inflight)

    async def _read_loop(self) -> None:
        if self._free_slots() <= 0:
            self._slot_free.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._slot_free.wait(), timeout=1.0)
            return
        count = self._free_slots()
        if self._pressure is not None and not await self._pressure.give_way():
            count = min(count, BUSY_BATCH)  # the callbacks never paused: a little, then again
        for entry_id, fields in await self._stream.read(count):
            self._spawn(entry_id, fields, redelivered=False)

    async def _retry_loop(self) -> None:
        due = await self._stream.due_retries(max(self._free_slots(), 1))
        for entry_id in due:
            if entry_id in self._inflight or entry_id in self._later:
                continue  # handled here already: its own run schedules what it needs
            await self._spawn_claimed(await self._stream.take_retry(entry_id))
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
            await self._stream.ack_gone(gone)
        for entry_id, fields in claimed:
            if fields:
                self._spawn(entry_id, fields, redelivered=True)

    def _spawn(self, entry_id: str, fields: Fields, *, redelivered: bool) -> None:
        if entry_id in self._inflight or entry_id in self._later:
            return
        task = asyncio.create_task(self._handle(entry_id, fields, redelivered))
        self._inflight[entry_id] = task
        self._idle.clear()
        task.add_done_callback(lambda _t: self._finished(entry_id))

    def _finished(self, entry_id: str) -> None:
        self._inflight.pop(entry_id, None)
        self._slot_free.set()
        if not self._inflight:
            self._idle.set()

    async def _handle(self, entry_id: str, fields: Fields, redelivered: bool) -> None:
        try:
            with log_context(event_id=entry_id):  # handlers add the event's own fields
                await self._process(entry_id, fields, redelivered)
        except (RedisError, OSError) as exc:
            self._left_pending(entry_id, exc)

    def _left_pending(self, entry_id: str, exc: Exception) -> None:
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
                await self._stream.retry_now(entry_id)
                return

    async def _process(self, entry_id: str, fields: Fields, redelivered: bool) -> None:
        attempt = await self._stream.delivery_count(entry_id) if redelivered else 1
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
        skip = await self._stream.done_handlers(entry_id) if redelivered else set()
        several = len(self._dispatcher.handlers_for(type(event))) > 1
        job = _Job(entry_id, fields, event, ctx, attempt, received_ms, skip, several)
        lanes = self._dispatcher.has_later(type(event), skip)
        first = await self._dispatch(job, urgent=True if lanes else None)
        if first is None:
            return  # retried or dead-lettered
        if lanes and not first.stopped:
            job.skip |= set(first.ran)
            self._later.add(entry_id, partial(self._finish_later, job))
            return
        await self._done(job, first)

    async def _finish_later(self, job: _Job) -> None:
        """The handlers that aren't urgent, once the later lane lets them run."""
        try:
            with log_context(event_id=job.entry_id):
                rest = await self._dispatch(job, urgent=False)
                if rest is not None:
                    await self._done(job, rest)
        except (RedisError, OSError) as exc:
            self._left_pending(job.entry_id, exc)

    async def _dispatch(self, job: _Job, urgent: bool | None) -> Dispatched | None:
        """Run the event's handlers (those of one lane, or all); None when one failed (the
        event is then scheduled for a retry or dead-lettered)."""
        name = type(job.event).__name__

        async def mark_done(handler: str) -> None:
            await self._stream.mark_done(job.entry_id, handler)

        try:
            async with asyncio.timeout(self.settings.handler_timeout_seconds):
                return await self._dispatcher.dispatch(
                    job.event, job.ctx, job.skip, mark_done if job.several else None, urgent
                )
        except PermanentFailure as exc:
            await self._dead_letter(job.entry_id, job.fields, str(exc), job.attempt)
            self._ctx.metrics.events_handled.labels(event=name, outcome="dead").inc()
        except Exception as exc:  # any handler bug: retry, then dead-letter
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if job.attempt >= self.settings.max_attempts:
                await self._dead_letter(job.entry_id, job.fields, reason, job.attempt)
                self._ctx.metrics.events_handled.labels(event=name, outcome="dead").inc()
            else:
                await self._stream.schedule_retry(job.entry_id, job.attempt)
                self._ctx.metrics.events_handled.labels(event=name, outcome="retry").inc()
        return None

    async def _done(self, job: _Job, last: Dispatched) -> None:
        name = type(job.event).__name__
        if not last.ran and not job.skip:
            log.debug("no handler for %s (entry %s)", name, job.entry_id)
        await self._stream.ack(job.entry_id)
        self._ctx.metrics.events_handled.labels(event=name, outcome="ok").inc()
        if job.received_ms:
            lag = max(time.time() - job.received_ms / 1000, 0.0)
            self._ctx.metrics.pipeline_lag.observe(lag)

    async def _dead_letter(self, entry_id: str, fields: Fields, error: str, attempt: int) -> None:
        log.error("event %s dead-lettered after %d attempt(s): %s", entry_id, attempt, error)
        await self._stream.dead_letter(entry_id, fields, error, attempt)
