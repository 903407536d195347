"""The bot on a master and replica watched by three sentinels (the URL also lists a sentinel
that isn't running): the master crashes mid-operation, and once the sentinels have promoted
the replica the bot accepts and handles callbacks again, each welcome sent once; and after a
switch-over (SENTINEL FAILOVER) the connections to the demoted master move on by themselves."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.appkeys import FILTER
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sandbox.scenarios import ScenarioResult
from bot.storage.client import connect
from bot.storage.topology import SentinelMasterClient
from bot.text.library import WordLibrary
from scripts_library.scripts import ScriptStore
from tests.pipeline_support import wait_until
from tests.redis_topologies.conftest import say, serve_bot, topology_settings, welcomed
from tests.redis_topologies.servers import SentinelDeployment

FAILOVER_WINDOW_SECONDS = 30.0  # down-after 1 s, election and promotion: ~2-3 s here


async def redelivered_until_accepted(sandbox: Sandbox, result: ScenarioResult) -> None:
    """WeCom keeps retrying a callback the bot refused (503); here until it is taken, within
    FAILOVER_WINDOW_SECONDS."""
    assert sandbox.driver is not None
    delivery = result.delivery
    deadline = time.monotonic() + FAILOVER_WINDOW_SECONDS
    while delivery is None or not delivery.delivered:
        assert time.monotonic() < deadline, "callbacks still refused after the failover"
        await asyncio.sleep(0.2)
        delivery = await sandbox.driver.deliver(result.xml)


async def test_callbacks_are_handled_across_a_failover(
    sentinel_group: SentinelDeployment, live_sandbox: Sandbox, aiohttp_server: Any, tmp_path: Path
) -> None:
    settings = topology_settings(sentinel_group.url, live_sandbox, tmp_path)
    bot: TestServer = await serve_bot(settings, live_sandbox, aiohttp_server)
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    redis = connect(sentinel_group.url)
    assert isinstance(redis, SentinelMasterClient)
    try:
        before = await live_sandbox.customer_adds_staff("zhangsan", "wmBefore")
        assert before.delivery is not None and before.delivery.statuses == [200]
        await welcomed(live_sandbox, "wmBefore")
        await wait_until(lambda: _drained(redis, keys))
        sentinel_group.wait_replicated()
        old_master = sentinel_group.master_port()

        # the master crashes while the bot runs; a customer adds staff meanwhile
        crash = asyncio.to_thread(sentinel_group.kill_master_and_wait_failover)
        failover = asyncio.create_task(crash)
        during = await live_sandbox.customer_adds_staff("zhangsan", "wmDuring")
        await redelivered_until_accepted(live_sandbox, during)
        await failover
        assert sentinel_group.master_port() != old_master

        after = await live_sandbox.customer_adds_staff("zhangsan", "wmAfter", state="spring")
        await redelivered_until_accepted(live_sandbox, after)
        for customer in ("wmDuring", "wmAfter"):
            await welcomed(live_sandbox, customer)
        await wait_until(lambda: _drained(redis, keys))
        # exactly once each, the one from before the crash too
        for customer in ("wmBefore", "wmDuring", "wmAfter"):
            assert len(live_sandbox.welcomes(customer)) == 1, customer

        # the rest keeps working on the new master: an admin command (Lua, BLPOP, MULTI)
        reply = await say(live_sandbox, "admin1", "话术 新增 售后 | 退货 | 七天无理由退货。")
        found = re.search(r"编号 ([0-9a-f]{8})", reply)
        assert found is not None, reply
        assert await ScriptStore(redis, keys).get(found.group(1)) is not None
        async with aiohttp.ClientSession() as http, http.get(bot.make_url("/readyz")) as ready:
            assert ready.status == 200
        # the word filter follows changes made on the new master (its subscription reconnects)
        await WordLibrary(redis, keys).add([(1, "竞品丁", "competitor")])

        async def reloaded() -> bool:
            return bool(bot.app[FILTER].current.scan("比竞品丁好"))

        await wait_until(reloaded)
    finally:
        await redis.aclose()


async def _drained(redis: Any, keys: RedisKeys) -> bool:
    return int(await redis.xlen(keys.events)) == 0


async def test_a_switch_over_moves_open_connections_to_the_new_master(
    sentinel_group: SentinelDeployment, live_sandbox: Sandbox, aiohttp_server: Any, tmp_path: Path
) -> None:
    settings = topology_settings(sentinel_group.url, live_sandbox, tmp_path)
    await serve_bot(settings, live_sandbox, aiohttp_server)
    probe = f"{RedisKeys(settings.corp_id, settings.key_prefix).base}:probe"
    redis = connect(sentinel_group.url)
    try:
        await redis.set(probe, "before")  # this client's connection to the master is open now
        first = await live_sandbox.customer_adds_staff("zhangsan", "wmFirst")
        assert first.delivery is not None and first.delivery.statuses == [200]
        await welcomed(live_sandbox, "wmFirst")

        await asyncio.to_thread(sentinel_group.switch_over)
        # the demoted master answers the write with READONLY: retried, on the new master
        assert await redis.set(probe, "after")
        second = await live_sandbox.customer_adds_staff("zhangsan", "wmSecond")
        assert second.delivery is not None and second.delivery.statuses == [200]
        await welcomed(live_sandbox, "wmSecond")
        for customer in ("wmFirst", "wmSecond"):
            assert len(live_sandbox.welcomes(customer)) == 1, customer
        assert sentinel_group.replica.client().get(probe) == "after"  # the new master has it
    finally:
        await redis.aclose()
