"""Events are not left waiting a minute for the idle reclaim (found by the soak harness, where
welcomes expired that way; WelcomeCodes live 20 s): a SIGKILLed consumer's events are taken over
by its stopped heartbeat, and an event whose retry could not be scheduled (Redis restarting) is
put into the retry schedule as soon as Redis answers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.config import Settings
from bot.context import HandlerContext
from bot.events import AddExternalContact
from bot.keys import RedisKeys
from bot.pipeline.consumer import GROUP
from bot.pipeline.stream import EventStream
from bot.routing import Router
from tests.conftest import VECTOR_CORP_ID
from tests.helpers import contact_event_xml
from tests.pipeline_support import enqueue, running_pipeline, wait_until


async def test_a_killed_consumer_is_taken_over_by_its_stopped_heartbeat(
    redis: Redis, redis_url: str, settings: Settings, tmp_path: Path
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    started = f"{settings.key_prefix}:{{{VECTOR_CORP_ID}}}:started"
    handled: list[int] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def handle(event: AddExternalContact, ctx: HandlerContext) -> None:
        handled.append(ctx.delivery.attempt)

    async def holding() -> bool:
        return int(await redis.get(started) or 0) > 0

    async def empty() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    command = [sys.executable, "-m", "tests.pipeline_support", redis_url, settings.key_prefix]
    worker = subprocess.Popen(  # takes the event and hangs on it, beating, until killed
        [*command, str(tmp_path)],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ.copy(),
    )
    try:
        await enqueue(redis, settings, contact_event_xml(corp_id=VECTOR_CORP_ID))
        await wait_until(holding, timeout=30)
        # the reclaim by idle time is a minute away: only the heartbeat can hand it over
        survivor = running_pipeline(
            redis, settings, [router], consumer="survivor", reclaim_idle_seconds=60.0
        )
        async with survivor:
            await asyncio.sleep(4.5)  # longer than the grace: a beating consumer keeps its work
            assert handled == []
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            killed = time.monotonic()
            await wait_until(empty, timeout=20)
            taken_after = time.monotonic() - killed
    finally:
        worker.kill()
        worker.wait(timeout=10)
    assert handled == [2]  # once, as its second delivery
    assert taken_after < 12  # liveness 5 s + grace 3 s + polling, not the 60 s reclaim
    assert (await redis.xpending(keys.events, GROUP))["pending"] == 0


async def test_an_event_whose_retry_could_not_be_scheduled_is_retried_when_redis_answers(
    redis: Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Redis restart: the handler fails on a dead connection, and so does putting the event
    # into the retry schedule; it used to wait for the idle reclaim (a minute)
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    attempts: list[int] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def flaky(event: AddExternalContact, ctx: HandlerContext) -> None:
        attempts.append(ctx.delivery.attempt)
        if len(attempts) == 1:
            raise RedisConnectionError("Connection closed by server.")

    schedule = EventStream.schedule_retry

    async def fails_once(self: EventStream, entry_id: str, attempt: int) -> None:
        if len(attempts) == 1:
            raise RedisConnectionError("Connection closed by server.")
        await schedule(self, entry_id, attempt)

    monkeypatch.setattr(EventStream, "schedule_retry", fails_once)

    async def empty() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    async with running_pipeline(redis, settings, [router], reclaim_idle_seconds=60.0):
        await enqueue(redis, settings, contact_event_xml(corp_id=VECTOR_CORP_ID))
        await wait_until(empty, timeout=8)
    assert attempts == [1, 2]
