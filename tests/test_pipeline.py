"""The pipeline: ack, retry with backoff, dead letters and replay, reclaim, graceful stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from redis.asyncio import Redis

from bot.config import Settings
from bot.context import HandlerContext
from bot.events import AddExternalContact, DelFollowUser, UnknownEvent
from bot.keys import RedisKeys
from bot.pipeline.consumer import GROUP
from bot.pipeline.deadletter import list_dead_letters, purge_dead_letters, replay_dead_letters
from bot.routing import Router, StopPropagation
from bot.wecom import WeComError
from tests.conftest import VECTOR_CORP_ID
from tests.helpers import contact_event_xml
from tests.pipeline_support import enqueue, running_pipeline, wait_until


def keys_of(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


def recording_router() -> tuple[Router, list[str]]:
    """A router whose one handler records the customer of each add event it sees."""
    seen: list[str] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def record(event: AddExternalContact, ctx: HandlerContext) -> None:
        seen.append(event.external_userid)

    return router, seen


def add_xml(n: int = 1) -> str:
    return contact_event_xml(corp_id=VECTOR_CORP_ID, external_userid=f"wm{n}")


async def test_success_acks_and_deletes(redis: Redis, settings: Settings) -> None:
    router, seen = recording_router()
    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [router]):
        for n in range(5):
            await enqueue(redis, settings, add_xml(n))
        await wait_until(lambda: _stream_empty(redis, keys))
    assert sorted(seen) == [f"wm{n}" for n in range(5)]
    assert (await redis.xpending(keys.events, GROUP))["pending"] == 0


async def _stream_empty(redis: Redis, keys: RedisKeys) -> bool:
    return int(await redis.xlen(keys.events)) == 0


async def test_failures_are_retried_with_backoff(redis: Redis, settings: Settings) -> None:
    attempts: list[int] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def flaky(event: AddExternalContact, ctx: HandlerContext) -> None:
        attempts.append(ctx.delivery.attempt)
        if len(attempts) < 3:
            raise WeComError(-1, "system busy", "externalcontact/send_welcome_msg")

    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [router]):
        await enqueue(redis, settings, add_xml())
        await wait_until(lambda: _stream_empty(redis, keys))
    assert attempts == [1, 2, 3]
    assert await redis.xlen(keys.dead_letters) == 0
    assert await redis.zcard(keys.retry_schedule) == 0


async def test_dead_letter_after_max_attempts_then_replay(redis: Redis, settings: Settings) -> None:
    broken = True
    handled: list[str] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def sometimes(event: AddExternalContact, ctx: HandlerContext) -> None:
        if broken:
            raise RuntimeError("database of record is down")
        handled.append(event.external_userid)

    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [router], max_attempts=3):
        await enqueue(redis, settings, add_xml(7))
        await wait_until(lambda: _stream_empty(redis, keys))
        [dead] = await list_dead_letters(redis, keys)
        assert dead.attempts == 3
        assert "RuntimeError: database of record is down" in dead.error
        assert "wm7" in dead.xml
        assert handled == []

        broken = False
        [new_id] = await replay_dead_letters(redis, keys, [dead.id])
        assert new_id
        await wait_until(lambda: _stream_empty(redis, keys))
    assert handled == ["wm7"]
    assert await list_dead_letters(redis, keys) == []


async def test_permanent_errors_skip_retries(redis: Redis, settings: Settings) -> None:
    calls = 0
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def forbidden(event: AddExternalContact, ctx: HandlerContext) -> None:
        nonlocal calls
        calls += 1
        raise WeComError(48002, "api forbidden", "externalcontact/send_welcome_msg")

    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [router]):
        await enqueue(redis, settings, add_xml())
        await wait_until(lambda: _stream_empty(redis, keys))
    [dead] = await list_dead_letters(redis, keys)
    assert calls == 1 and dead.attempts == 1
    assert "48002" in dead.error and "客户联系" in dead.error
    assert await purge_dead_letters(redis, keys, [dead.id]) == 1


async def test_retry_skips_handlers_that_already_succeeded(
    redis: Redis, settings: Settings
) -> None:
    welcomes: list[int] = []
    tags: list[int] = []
    first, second = Router(name="first"), Router(name="second")

    @first.on(AddExternalContact)
    async def welcome(event: AddExternalContact, ctx: HandlerContext) -> None:
        welcomes.append(ctx.delivery.attempt)

    @second.on(AddExternalContact)
    async def tag(event: AddExternalContact, ctx: HandlerContext) -> None:
        tags.append(ctx.delivery.attempt)
        if len(tags) == 1:
            raise TimeoutError

    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [first, second]):
        await enqueue(redis, settings, add_xml())
        await wait_until(lambda: _stream_empty(redis, keys))
    assert welcomes == [1]  # not sent twice
    assert tags == [1, 2]


async def test_order_and_stop_propagation(redis: Redis, settings: Settings) -> None:
    order: list[str] = []
    first, second = Router(name="first"), Router(name="second")

    @first.on(DelFollowUser)
    async def consume(event: DelFollowUser, ctx: HandlerContext) -> None:
        order.append("first")
        raise StopPropagation

    @second.on(DelFollowUser)
    async def never(event: DelFollowUser, ctx: HandlerContext) -> None:
        order.append("second")

    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [first, second]):
        await enqueue(redis, settings, add_xml().replace("add_external_contact", "del_follow_user"))
        await wait_until(lambda: _stream_empty(redis, keys))
    assert order == ["first"]


async def test_unknown_events_are_acknowledged(redis: Redis, settings: Settings) -> None:
    seen: list[str] = []
    router = Router(name="t")

    @router.on(UnknownEvent)
    async def log_it(event: UnknownEvent, ctx: HandlerContext) -> None:
        seen.append(event.event)

    keys = keys_of(settings)
    xml = (
        f"<xml><ToUserName>{VECTOR_CORP_ID}</ToUserName><FromUserName>u</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>enter_agent</Event></xml>"
    )
    async with running_pipeline(redis, settings, [router]):
        await enqueue(redis, settings, xml)
        await enqueue(redis, settings, add_xml())  # no handler at all: acknowledged too
        await wait_until(lambda: _stream_empty(redis, keys))
    assert seen == ["enter_agent"]
    assert await redis.xlen(keys.dead_letters) == 0


async def test_graceful_stop_finishes_in_flight_work(redis: Redis, settings: Settings) -> None:
    finished: list[str] = []
    started = asyncio.Event()
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def slow(event: AddExternalContact, ctx: HandlerContext) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(event.external_userid)

    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [router]):
        await enqueue(redis, settings, add_xml())
        await asyncio.wait_for(started.wait(), 10)
    # the context exit stopped the pipeline while the handler slept
    assert finished == ["wm1"]
    assert await redis.xlen(keys.events) == 0


async def test_killed_consumer_event_is_reclaimed_and_handled_once(
    redis: Redis, redis_url: str, settings: Settings, tmp_path: Path
) -> None:
    keys = keys_of(settings)
    started_key = f"{settings.key_prefix}:{{{VECTOR_CORP_ID}}}:started"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.pipeline_support",
            redis_url,
            settings.key_prefix,
            str(tmp_path),
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ.copy(),
    )
    try:
        await enqueue(redis, settings, add_xml(42))
        await wait_until(lambda: _started(redis, started_key), timeout=30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    pending = await redis.xpending(keys.events, GROUP)
    assert pending["pending"] == 1  # the dead worker still holds it

    handled: list[int] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def handle(event: AddExternalContact, ctx: HandlerContext) -> None:
        handled.append(ctx.delivery.attempt)

    async with running_pipeline(
        redis, settings, [router], reclaim_idle_seconds=0.5, handler_timeout_seconds=0.4
    ):
        await wait_until(lambda: _stream_empty(redis, keys))
        await asyncio.sleep(1.0)  # time for a second (wrong) reclaim, if there were one
    assert handled == [2]  # once, as its second delivery
    assert (await redis.xpending(keys.events, GROUP))["pending"] == 0


async def _started(redis: Redis, key: str) -> bool:
    return int(await redis.get(key) or 0) > 0


async def test_stream_deleted_under_a_running_pipeline(redis: Redis, settings: Settings) -> None:
    router, seen = recording_router()
    keys = keys_of(settings)
    async with running_pipeline(redis, settings, [router]):
        await redis.delete(keys.events)  # FLUSHDB, or a Redis restarted without persistence
        await asyncio.sleep(0.3)
        await enqueue(redis, settings, add_xml(9))
        await wait_until(lambda: _stream_empty(redis, keys))
    assert seen == ["wm9"]


async def test_idle_consumers_of_stopped_processes_are_forgotten(
    redis: Redis, settings: Settings
) -> None:
    keys = keys_of(settings)
    await redis.xgroup_create(keys.events, GROUP, id="0", mkstream=True)
    await redis.xgroup_createconsumer(keys.events, GROUP, "stopped-process")

    async def names() -> set[str]:
        return {c["name"] for c in await redis.xinfo_consumers(keys.events, GROUP)}

    async def forgotten() -> bool:
        return "stopped-process" not in await names()

    async with running_pipeline(
        redis,
        settings,
        [],
        consumer="alive",
        forget_consumer_after_seconds=0.3,
        reclaim_idle_seconds=0.4,
        handler_timeout_seconds=0.2,
    ):
        await wait_until(forgotten)
