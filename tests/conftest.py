"""Shared fixtures: a real Redis (the machine's, else an embedded one), unique key prefixes."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis as sync_redis
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import PipelineSettings, Settings
from bot.sandbox import Sandbox
from bot.storage.client import EmbeddedRedis, connect
from bot.wecom import WeComClient

# The official test vector of the callback crypto (doc 90968)
VECTOR_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
VECTOR_AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
VECTOR_CORP_ID = "ww1436e0e65a779aee"


def _machine_redis() -> str | None:
    if os.environ.get("SCRM_TEST_REDIS") == "embedded":  # to check the fallback itself
        return None
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            pass
        client = sync_redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1)
        client.ping()
        client.close()
    except (OSError, sync_redis.RedisError):
        return None
    return "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis when it answers, otherwise an embedded redis-server for the run."""
    url = _machine_redis()
    if url is not None:
        yield url
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield embedded.start()
    embedded.stop()


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = sync_redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = connect(redis_url)
    yield client
    await client.aclose()


def make_settings(redis_url: str, key_prefix: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "corp_id": VECTOR_CORP_ID,
        "token": VECTOR_TOKEN,
        "aes_key": VECTOR_AES_KEY,
        "agent_id": 1000002,
        "agent_secret": "app-secret",
        "contact_secret": "contact-secret",
        "redis_url": redis_url,
        "wecom_api_base": "http://127.0.0.1:9",
        "admins": frozenset({"admin1"}),
        "data_dir": tmp_path,
        "key_prefix": key_prefix,
        "pipeline": PipelineSettings(
            retry_base_seconds=0.05,
            retry_max_seconds=0.2,
            reclaim_idle_seconds=6.0,
            handler_timeout_seconds=5.0,
            block_ms=100,
            shutdown_grace_seconds=5.0,
        ),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(redis_url: str, key_prefix: str, tmp_path: Path) -> Settings:
    return make_settings(redis_url, key_prefix, tmp_path)


@pytest.fixture
async def live_sandbox() -> AsyncIterator[Sandbox]:
    """A WeCom sandbox on a real port with two staff; lisi has a native welcome configured."""
    sandbox = Sandbox()
    sandbox.add_staff("zhangsan", "张三")
    sandbox.add_staff("lisi", "李四", native_welcome=True)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
def sandbox_settings(settings: Settings, live_sandbox: Sandbox) -> Settings:
    """The test settings pointed at `live_sandbox`'s corp, app and API."""
    assert live_sandbox.base_url is not None
    return replace(
        settings,
        corp_id=live_sandbox.corp_id,
        agent_id=live_sandbox.agent_id,
        agent_secret=live_sandbox.app_secret,
        contact_secret=live_sandbox.contact_secret,
        wecom_api_base=live_sandbox.base_url,
    )


@pytest.fixture
async def sandbox_bot(
    sandbox_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any
) -> TestServer:
    """The bot (callbacks and pipeline) on a real port, connected to `live_sandbox`.

    `sandbox_settings` comes first so its key prefix is cleaned up after the server stopped.
    """
    from bot.app import create_app

    server: TestServer = await aiohttp_server(create_app(sandbox_settings))
    live_sandbox.connect_bot(
        str(server.make_url("/wecom/callback")), sandbox_settings.token, sandbox_settings.aes_key
    )
    return server


@pytest.fixture
async def sandbox_wecom(sandbox_settings: Settings, redis: Redis) -> AsyncIterator[WeComClient]:
    """The project's WeCom client talking to `live_sandbox`, for arranging state in tests."""
    async with aiohttp.ClientSession() as session:
        yield WeComClient.from_settings(sandbox_settings, session, redis)


@pytest.fixture
def sandbox_cli_env(sandbox_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment a `scrm-bot` admin command needs to reach `live_sandbox` and Redis."""
    from tests.helpers import cli_env

    for key, value in cli_env(sandbox_settings).items():
        monkeypatch.setenv(key, value)
    return sandbox_settings
