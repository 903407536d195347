"""Callbacks first: while the callback endpoint of the same process is busy, the pipeline takes
new events only in small batches (a floor, so it never stops), and freely once it pauses."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.config import Settings
from bot.context import HandlerContext
from bot.events import AddExternalContact
from bot.pipeline import priority
from bot.pipeline.priority import CallbackPressure
from bot.routing import Router
from tests.conftest import VECTOR_CORP_ID
from tests.helpers import contact_event_xml
from tests.pipeline_support import enqueue, running_pipeline, wait_until


async def test_give_way_waits_for_a_pause_but_not_for_ever() -> None:
    pressure = CallbackPressure()
    assert await pressure.give_way(0.01) is True  # nothing being handled
    with pressure.handling():
        started = time.monotonic()
        assert await pressure.give_way(0.05) is False  # never paused: gave up after 0.05 s
        assert time.monotonic() - started >= 0.04

    async def one_callback() -> None:
        with pressure.handling():
            await asyncio.sleep(0.05)

    task = asyncio.create_task(one_callback())
    await asyncio.sleep(0)
    assert pressure.in_flight == 1
    assert await pressure.give_way(5.0) is True  # the callback ended: the way is free
    await task
    assert pressure.in_flight == 0


async def test_the_pipeline_keeps_a_floor_while_callbacks_never_pause(
    redis: Redis, settings: Settings
) -> None:
    seen: list[str] = []
    router = Router(name="t")

    @router.on(AddExternalContact)
    async def record(event: AddExternalContact, ctx: HandlerContext) -> None:
        seen.append(event.external_userid)

    pressure = CallbackPressure()
    reads: list[int] = []
    async with running_pipeline(redis, settings, [router], pressure=pressure) as pipeline:
        stream = pipeline._stream  # counting what each read asks for
        original = stream.read

        async def counted(count: int) -> list[tuple[str, dict[str, str]]]:
            reads.append(count)
            return await original(count)

        stream.read = counted  # type: ignore[method-assign]
        with pressure.handling():  # a callback that never ends
            for n in range(3 * priority.BUSY_BATCH):
                await enqueue(
                    redis,
                    settings,
                    contact_event_xml(corp_id=VECTOR_CORP_ID, external_userid=f"wm{n}"),
                )
            await wait_until(lambda: _seen(seen, 3 * priority.BUSY_BATCH))
            busy_reads = list(reads)
        assert busy_reads and max(busy_reads) <= priority.BUSY_BATCH
        reads.clear()
        await wait_until(lambda: _read_freely(reads))  # paused: the next read asks for more
    assert len(seen) == 3 * priority.BUSY_BATCH


async def _seen(seen: list[str], count: int) -> bool:
    return len(seen) >= count


async def _read_freely(reads: list[int]) -> bool:
    return any(count > priority.BUSY_BATCH for count in reads)
