"""What `scrm-bot serve` listens on: a request head must arrive within SCRM_HEADER_TIMEOUT,
and /metrics can be moved to a port of its own (SCRM_METRICS_PORT) and behind a token."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
import pytest
import redis as sync_redis

from tests.helpers import free_port
from tests.serving.support import ROOT, serve_env

TOKEN = "metrics-token-0123456789"
HEADER_TIMEOUT = 2


@dataclass(frozen=True)
class Served:
    public: str
    metrics: str
    port: int


@pytest.fixture(scope="module")
def served(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    public, metrics = free_port(), free_port()
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    env = serve_env(
        redis_url,
        prefix,
        tmp_path_factory.mktemp("listeners"),
        SCRM_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        SCRM_METRICS_PORT=str(metrics),
        SCRM_METRICS_TOKEN=TOKEN,
    )
    command = [sys.executable, "-m", "bot", "--log-level", "ERROR", "serve", "--role", "callback"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(public)], cwd=ROOT, env=env
    )
    try:
        _wait_for(public)
        yield Served(f"http://127.0.0.1:{public}", f"http://127.0.0.1:{metrics}", public)
    finally:
        process.terminate()
        process.wait(timeout=30)
        client = sync_redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve did not listen")


async def get(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        return answer.status, await answer.text()


async def test_metrics_answer_only_on_their_port_and_only_with_the_token(served: Served) -> None:
    assert (await get(f"{served.public}/metrics", Authorization=f"Bearer {TOKEN}"))[0] == 404
    assert (await get(f"{served.metrics}/metrics"))[0] == 401
    assert (await get(f"{served.metrics}/metrics", Authorization="Bearer wrong-token-xx"))[0] == 401
    status, body = await get(f"{served.metrics}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200 and "scrm_callbacks_total" in body
    # the metrics port shows nothing else; health answers on both
    assert (await get(f"{served.metrics}/wecom/callback"))[0] == 404
    assert (await get(f"{served.metrics}/healthz"))[0] == 200
    assert (await get(f"{served.public}/healthz"))[0] == 200


async def test_a_request_head_that_trickles_in_is_cut_off(served: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    await writer.drain()
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < 20 * HEADER_TIMEOUT:  # a generous bound: minutes before
        try:
            writer.write(b"X-Slow: 1\r\n")  # a header line every half second, never the end
            await writer.drain()
            if await asyncio.wait_for(reader.read(1024), 0.5) == b"":
                closed = True
                break
        except TimeoutError:
            continue
        except ConnectionError:
            closed = True
            break
    writer.close()
    assert closed, "the connection was still open"
