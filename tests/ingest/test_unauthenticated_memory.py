"""Refused /ingest requests cost a serving process no lasting memory: bodies are hashed as they
stream, capped, and only a few are read at once before their signature is checked."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.helpers import free_port
from tests.serving.support import ROOT, serve_env

REQUESTS = 120
AT_ONCE = 30
BODY_BYTES = 8 * 1024 * 1024  # the old cap of /ingest/messages
CHUNK = b"x" * (64 * 1024)
GROWTH_BOUND = 50 * 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(redis_url: str, key_prefix: str, tmp_path: Path) -> Iterator[tuple[int, str]]:
    port = free_port()
    env = serve_env(
        redis_url, key_prefix, tmp_path, SCRM_INGEST_SECRET="ingest-secret-of-the-memory-test"
    )
    command = [sys.executable, "-m", "bot", "--log-level", "ERROR", "serve", "--role", "callback"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env
    )
    try:
        yield process.pid, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{url}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("serve did not answer")


async def body() -> AsyncIterator[bytes]:
    for _ in range(BODY_BYTES // len(CHUNK)):  # chunked: no Content-Length to refuse it by
        yield CHUNK


async def refused(http: aiohttp.ClientSession, url: str, gate: asyncio.Semaphore) -> int:
    headers = {TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: "0" * 64}
    async with gate:
        try:
            async with http.post(f"{url}/ingest/messages", data=body(), headers=headers) as answer:
                return answer.status
        except aiohttp.ClientError:  # answered before the whole body was sent
            return 0


async def test_refused_ingest_bodies_leave_no_memory_behind(server: tuple[int, str]) -> None:
    pid, url = server
    await wait_ready(url)
    async with aiohttp.ClientSession() as http:
        gate = asyncio.Semaphore(AT_ONCE)
        await asyncio.gather(*(refused(http, url, gate) for _ in range(5)))  # warm
        await asyncio.sleep(0.5)
        before = rss(pid)
        answers = await asyncio.gather(*(refused(http, url, gate) for _ in range(REQUESTS)))
    await asyncio.sleep(1.0)
    after = rss(pid)
    assert not {200, 500} & set(answers), answers
    assert after - before < GROWTH_BOUND, f"RSS grew {(after - before) >> 20} MiB"
