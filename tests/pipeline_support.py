"""Building a real pipeline around test routers (also run as a worker process to be killed)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bot.callback.ingest import EventIngest, fingerprint
from bot.config import Settings
from bot.context import HandlerContext
from bot.events import AddExternalContact, parse_event
from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.pipeline.consumer import EventPipeline
from bot.pipeline.middlewares import MIDDLEWARES
from bot.pipeline.priority import CallbackPressure
from bot.routing import Dispatcher, Router
from bot.storage.client import connect
from bot.wecom import WeComClient
from tests.conftest import VECTOR_CORP_ID, make_settings
from tests.helpers import handler_context


@asynccontextmanager
async def running_pipeline(
    redis: Redis,
    settings: Settings,
    routers: list[Router],
    consumer: str | None = None,
    pressure: CallbackPressure | None = None,
    **pipeline_overrides: float,
) -> AsyncIterator[EventPipeline]:
    """A started pipeline over `routers`; stopped (gracefully) on exit."""
    pipeline_settings = replace(settings.pipeline, **pipeline_overrides)  # type: ignore[arg-type]
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    async with aiohttp.ClientSession() as session:
        metrics = Metrics()
        wecom = WeComClient.from_settings(settings, session, redis, metrics)
        ctx = handler_context(settings, redis, wecom, metrics=metrics, logger="tests.handlers")
        pipeline = EventPipeline(
            redis,
            keys,
            Dispatcher(routers, MIDDLEWARES),
            ctx,
            pipeline_settings,
            consumer,
            pressure=pressure,
        )
        await pipeline.start()
        try:
            yield pipeline
        finally:
            await pipeline.stop()


async def enqueue(redis: Redis, settings: Settings, xml: str) -> str:
    """Add an event the way the callback endpoint does; returns its stream id."""
    ingest = EventIngest(redis, RedisKeys(settings.corp_id, settings.key_prefix), 600)
    entry_id = await ingest.add(xml, fingerprint(parse_event(xml), xml), int(time.time() * 1000))
    assert entry_id is not None
    return entry_id


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def _hanging_worker(redis_url: str, prefix: str, data_dir: str) -> None:
    """Takes one event, marks that it started, and hangs until killed."""
    settings = make_settings(redis_url, prefix, Path(data_dir))
    redis = connect(redis_url)
    router = Router(name="hang")
    counter = f"{prefix}:{{{VECTOR_CORP_ID}}}:started"

    @router.on(AddExternalContact)
    async def hang(event: AddExternalContact, ctx: HandlerContext) -> None:
        await redis.incr(counter)
        await asyncio.sleep(3600)

    async with running_pipeline(redis, settings, [router], consumer="doomed"):
        await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(_hanging_worker(sys.argv[1], sys.argv[2], sys.argv[3]))
