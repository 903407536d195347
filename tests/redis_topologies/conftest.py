"""Fixtures of the topology tests: a real Redis Cluster (shared by the folder), a real Sentinel
deployment (fresh per test: failover changes it), and the bot on a real port against either.

The servers come from the machine's redis-server and redis-cli. Without them the tests skip,
unless SCRM_REQUIRE_REDIS_TOPOLOGIES=1 (as `.ci/run` sets): then a skip is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.storage.client import connect
from bot.storage.topology import RedisClient
from tests.conftest import make_settings
from tests.pipeline_support import wait_until
from tests.redis_topologies.servers import (
    ClusterDeployment,
    SentinelDeployment,
    missing_binaries,
)


def require_servers() -> None:
    """Skip (or, with SCRM_REQUIRE_REDIS_TOPOLOGIES=1, fail) without redis-server/redis-cli."""
    missing = missing_binaries()
    if not missing:
        return
    reason = f"Redis Sentinel/Cluster tests need {' and '.join(missing)} (apt-get install redis)"
    if os.environ.get("SCRM_REQUIRE_REDIS_TOPOLOGIES") == "1":
        pytest.fail(reason + "；SCRM_REQUIRE_REDIS_TOPOLOGIES=1 要求运行这些测试")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def redis_cluster() -> Iterator[ClusterDeployment]:
    require_servers()
    cluster = ClusterDeployment()
    yield cluster
    cluster.stop()


@pytest.fixture
def sentinel_group() -> Iterator[SentinelDeployment]:
    require_servers()
    group = SentinelDeployment()
    yield group
    group.stop()


@pytest.fixture
async def cluster_redis(redis_cluster: ClusterDeployment) -> AsyncIterator[RedisClient]:
    """The test's own client of the cluster (the bot has its own)."""
    client = connect(redis_cluster.url)
    yield client
    await client.aclose()


def topology_settings(url: str, sandbox: Sandbox, tmp_path: Path) -> Settings:
    """Settings of the bot on `url` (a key prefix of its own), talking to `sandbox`."""
    assert sandbox.base_url is not None
    return replace(
        make_settings(url, f"test-{uuid.uuid4().hex[:12]}", tmp_path),
        corp_id=sandbox.corp_id,
        agent_id=sandbox.agent_id,
        agent_secret=sandbox.app_secret,
        contact_secret=sandbox.contact_secret,
        wecom_api_base=sandbox.base_url,
    )


@pytest.fixture
def cluster_settings(
    redis_cluster: ClusterDeployment, live_sandbox: Sandbox, tmp_path: Path
) -> Settings:
    return topology_settings(redis_cluster.url, live_sandbox, tmp_path)


@pytest.fixture
def cluster_keys(cluster_settings: Settings) -> RedisKeys:
    return RedisKeys(cluster_settings.corp_id, cluster_settings.key_prefix)


async def serve_bot(settings: Settings, sandbox: Sandbox, aiohttp_server: Any) -> TestServer:
    """The whole app (callbacks, pipeline, periodic jobs) on a real port, wired to `sandbox`."""
    from bot.app import create_app

    if "admin1" not in sandbox.state.staff:  # the settings' admin, who sends commands
        sandbox.add_staff("admin1", "管理员")
    server: TestServer = await aiohttp_server(create_app(settings))
    sandbox.connect_bot(str(server.make_url("/wecom/callback")), settings.token, settings.aes_key)
    return server


@pytest.fixture
async def cluster_bot(
    cluster_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any
) -> TestServer:
    return await serve_bot(cluster_settings, live_sandbox, aiohttp_server)


async def say(sandbox: Sandbox, userid: str, text: str) -> str:
    """Send `text` to the app as `userid`; the answer, as passive reply or app message."""
    before = len(sandbox.app_messages(userid))
    result = await sandbox.staff_sends_text(userid, text)
    assert result.delivered, result.delivery
    if result.passive_reply:
        return result.passive_reply

    async def answered() -> bool:
        return len(sandbox.app_messages(userid)) > before

    await wait_until(answered)
    return str(sandbox.app_messages(userid)[-1].content["content"])


async def welcomed(sandbox: Sandbox, external_userid: str) -> None:
    async def sent() -> bool:
        return bool(sandbox.welcomes(external_userid))

    await wait_until(sent)
