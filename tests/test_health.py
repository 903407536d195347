"""/readyz follows Redis: 503 while it is gone or hangs, 200 once it is back; /healthz stays 200."""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from tests.conftest import make_settings
from tests.helpers import RedisServerProcess

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServerProcess]:
    """A redis-server of this test's own on a free port, which the test stops and starts."""
    server = RedisServerProcess(tmp_path / "redis")
    server.start()
    yield server
    if server.process is not None:
        server.process.send_signal(signal.SIGCONT)  # in case a test left it paused
    server.kill()


async def ready(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status, await response.json()


@pytest.mark.parametrize("role", ["callback", "worker"])
async def test_readyz_503_while_redis_is_down_then_200(
    aiohttp_client: ClientFactory, own_redis: RedisServerProcess, tmp_path: Path, role: str
) -> None:
    settings = make_settings(own_redis.url, "health", tmp_path)
    client = await aiohttp_client(create_app(settings, role=role))
    assert await ready(client) == (200, {"status": "ok", "redis": "ok"})

    own_redis.kill()
    for _ in range(3):  # every probe while it is down, not just the first
        status, body = await ready(client)
        assert status == 503 and body["status"] == "unavailable" and body["redis"]
    assert (await client.get("/healthz")).status == 200  # the process itself is fine

    own_redis.start()  # the same port
    assert await ready(client) == (200, {"status": "ok", "redis": "ok"})


async def test_readyz_503_while_redis_hangs_then_200(
    aiohttp_client: ClientFactory, own_redis: RedisServerProcess, tmp_path: Path
) -> None:
    """A paused Redis accepts connections and never answers: the probe still gets its 503."""
    settings = make_settings(own_redis.url, "health", tmp_path)
    client = await aiohttp_client(create_app(settings, role="callback"))
    assert (await ready(client))[0] == 200
    assert own_redis.process is not None
    pid = own_redis.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        status, body = await ready(client)
        assert status == 503 and body["status"] == "unavailable"
    finally:
        os.kill(pid, signal.SIGCONT)
    assert await ready(client) == (200, {"status": "ok", "redis": "ok"})
