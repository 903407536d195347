"""The pipeline's two lanes: urgent handlers (someone waits) never queue behind bookkeeping."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.config import PipelineSettings, Settings
from bot.context import HandlerContext
from bot.events import AddExternalContact
from bot.keys import RedisKeys
from bot.pipeline.later import LaterLane, LaterSettings
from bot.pipeline.stream import EventStream
from bot.routing import Router, StopPropagation
from scripts_library.analysis import IN_THREAD, analyse_all, analyse_many
from scripts_library.scripts import Script
from tests.pipeline_support import enqueue, running_pipeline, wait_until
from tests.test_pipeline import add_xml


def lanes() -> tuple[Router, Router, list[int], list[str]]:
    """An urgent router noting, as each greeting runs, how much bookkeeping had finished; and
    a slow bookkeeping router."""
    finished_then: list[int] = []
    booked: list[str] = []
    urgent, later = Router(name="u", urgent=True), Router(name="l")

    @urgent.on(AddExternalContact)
    async def greet(event: AddExternalContact, ctx: HandlerContext) -> None:
        finished_then.append(len(booked))

    @later.on(AddExternalContact)
    async def bookkeeping(event: AddExternalContact, ctx: HandlerContext) -> None:
        await asyncio.sleep(0.3)  # slow: a WeCom read, say
        booked.append(event.external_userid)

    return urgent, later, finished_then, booked


async def test_urgent_handlers_of_a_burst_run_before_the_bookkeeping(
    redis: Redis, settings: Settings
) -> None:
    urgent, later, finished_then, booked = lanes()
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    # one event at a time in the urgent lane: in one lane, the greeting of the 8th add would
    # wait for the bookkeeping of the 7 before it
    async with running_pipeline(redis, settings, [urgent, later], concurrency=1):
        for n in range(8):
            await enqueue(redis, settings, add_xml(n))

        async def all_done() -> bool:
            return len(booked) == 8 and int(await redis.xlen(keys.events)) == 0

        await wait_until(all_done, timeout=15)
    assert len(finished_then) == 8
    assert finished_then[-1] < 7  # the last greeting did not wait for all the bookkeeping
    assert sorted(booked) == [f"wm{n}" for n in range(8)]  # and all of it ran, once
    assert (await redis.xpending(keys.events, "bot"))["pending"] == 0


async def test_stop_propagation_in_the_urgent_lane_skips_the_rest(
    redis: Redis, settings: Settings
) -> None:
    urgent, later = Router(name="u", urgent=True), Router(name="l")
    ran: list[str] = []

    @urgent.on(AddExternalContact)
    async def consume(event: AddExternalContact, ctx: HandlerContext) -> None:
        ran.append("urgent")
        raise StopPropagation

    @later.on(AddExternalContact)
    async def never(event: AddExternalContact, ctx: HandlerContext) -> None:
        ran.append("later")

    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    async with running_pipeline(redis, settings, [urgent, later]):
        await enqueue(redis, settings, add_xml())

        async def empty() -> bool:
            return int(await redis.xlen(keys.events)) == 0

        await wait_until(empty)
    assert ran == ["urgent"]


async def test_waiting_work_is_touched_and_runs_after_max_wait() -> None:
    idle = asyncio.Event()  # never set: urgent work is in flight the whole time
    touched: list[list[str]] = []
    ran: list[float] = []

    async def touch(ids: list[str]) -> None:
        touched.append(ids)

    async def run() -> None:
        ran.append(time.monotonic())

    lane = LaterLane(idle, touch, LaterSettings(max_wait=3.0, touch_every=0.2))
    lane.start()
    started = time.monotonic()
    lane.add("1-0", run)
    assert "1-0" in lane and len(lane) == 1

    async def was_touched() -> bool:
        return ["1-0"] in touched

    await wait_until(was_touched, timeout=2.5)  # kept from the idle reclaim while it waits
    assert not ran  # under 3 s: still waiting for the urgent work

    async def has_run() -> bool:
        return bool(ran)

    await wait_until(has_run, timeout=10)
    assert len(ran) == 1 and ran[0] - started >= 3.0  # once max_wait had passed
    assert "1-0" not in lane
    await lane.stop(1.0)


async def test_touch_resets_an_entry_idle_time_but_not_its_deliveries(
    redis: Redis, settings: Settings
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    stream = EventStream(redis, keys, "me", PipelineSettings())
    await stream.ensure_group()
    entry = await enqueue(redis, settings, add_xml())
    assert [entry_id for entry_id, _ in await stream.read(10)] == [entry]
    await asyncio.sleep(0.3)

    async def pending() -> dict[str, int]:
        [row] = await redis.xpending_range(keys.events, "bot", "-", "+", 1)
        return {"idle": int(row["time_since_delivered"]), "times": int(row["times_delivered"])}

    before = await pending()
    await stream.touch([entry])
    after = await pending()
    assert before["idle"] >= 300 and after["idle"] < 200
    assert after["times"] == before["times"] == 1


async def test_a_large_batch_is_segmented_in_a_child_process_the_same() -> None:
    scripts = [
        Script(id=f"s{n}", category="售后/退货", title=f"退货流程{n}", text=f"七天无理由退货 {n}")
        for n in range(IN_THREAD + 5)
    ]
    assert await analyse_all(scripts) == analyse_many(scripts)
