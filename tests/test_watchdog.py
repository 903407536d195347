"""The event-loop watchdog: a blocked loop is logged with the code that ran, and counted."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import aiohttp
import pytest

from bot.app import create_app
from bot.config import Settings
from bot.watchdog import LoopWatchdog


def block_the_loop_for_a_while(seconds: float) -> None:
    time.sleep(seconds)  # what a quadratic build or an unbounded render does to the loop


async def test_a_blocked_loop_is_logged_with_what_ran_and_counted(
    settings: Settings, aiohttp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.watchdog")
    server = await aiohttp_server(create_app(settings))
    await asyncio.sleep(0.1)  # the heartbeat is ticking
    block_the_loop_for_a_while(0.6)
    await asyncio.sleep(0.3)  # the first tick after the stall reports it

    stalls = [r.getMessage() for r in caplog.records if "event loop blocked" in r.getMessage()]
    assert any("block_the_loop_for_a_while" in line for line in stalls), stalls
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/metrics")) as answer:
        text = await answer.text()
    counted = re.search(r"^scrm_event_loop_stall_seconds_count ([0-9.]+)$", text, re.M)
    assert counted is not None and float(counted.group(1)) >= 1
    longest = re.search(r'^scrm_event_loop_stall_seconds_bucket\{le="0.5"\} ([0-9.]+)$', text, re.M)
    assert longest is not None and float(longest.group(1)) < float(counted.group(1))


async def test_apps_on_one_loop_share_one_watchdog_until_the_last_leaves() -> None:
    seen: list[float] = []
    with LoopWatchdog.watching(lambda s, _: seen.append(s)) as first:
        with LoopWatchdog.watching(lambda s, _: seen.append(s)) as second:
            assert first is second and len(first.listeners) == 2
            await asyncio.sleep(0.05)  # the heartbeat has started ticking
            block_the_loop_for_a_while(0.3)
            await asyncio.sleep(0.1)
        assert len(first.listeners) == 1
    assert len(seen) >= 2  # both listeners were told of the stall
    with LoopWatchdog.watching(lambda s, _: None) as third:
        assert third is not first  # the last one out stopped it; a new one starts
