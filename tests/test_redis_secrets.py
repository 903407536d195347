"""A Redis password appears nowhere: not in start-up errors, `scrm-bot doctor`, `/readyz`,
`/metrics`, nor on the command line of the filter builder the reloader starts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.storage.client import connect
from bot.text.library import WordLibrary
from bot.text.reloader import FilterReloader
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN
from tests.helpers import RedisServerProcess, free_port

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
PASSWORD = f"PW{uuid.uuid4().hex}"
BASE_ENV = {
    "SCRM_CORP_ID": VECTOR_CORP_ID,
    "SCRM_TOKEN": VECTOR_TOKEN,
    "SCRM_AES_KEY": VECTOR_AES_KEY,
    "SCRM_AGENT_ID": "1",
    "SCRM_AGENT_SECRET": "s",
    "SCRM_WECOM_API_BASE": "http://127.0.0.1:9",
}


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[RedisServerProcess]:
    """A redis-server of the test's own that asks for PASSWORD."""
    server = RedisServerProcess(tmp_path / "redis", password=PASSWORD)
    server.start()
    yield server
    server.kill()


def test_start_up_error_shows_no_redis_password(tmp_path: Path) -> None:
    # redis-py takes a password in the query too; the one-line error showed it as given
    url = f"redis://127.0.0.1:{free_port()}/0?password={PASSWORD}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--log-level", "DEBUG", "serve", "--port", "0"],
        cwd=tmp_path,
        env=os.environ | BASE_ENV | {"SCRM_REDIS_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "SCRM_REDIS_URL" in done.stderr and "password=***" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:{port}/0?password={pw}",
        "unix:///nonexistent/redis.sock?db=0&password={pw}",
        # a `?` in a password that should have been %3F: redis-py would take the rest for
        # the query (and connect to localhost); the doctor showed everything before it
        "redis://:{pw}?x@127.0.0.1:{port}/0",
        "redis+sentinel://:{pw}?x@127.0.0.1:{port}/mymaster",
    ],
)
def test_doctor_shows_no_redis_password(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SCRM_REDIS_URL", url.format(port=free_port(), pw=PASSWORD))
    assert main(["--log-level", "DEBUG", "doctor"]) != 0
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "redis" in text.lower()  # the check, or the setting, that failed
    assert PASSWORD not in text


async def test_readyz_and_metrics_show_no_redis_password(
    aiohttp_client: ClientFactory, locked_redis: RedisServerProcess, settings: Settings
) -> None:
    app = create_app(replace(settings, redis_url=locked_redis.url), role="callback")
    client = await aiohttp_client(app)
    assert (await client.get("/readyz")).status == 200
    locked_redis.kill()
    ready = await client.get("/readyz")
    assert ready.status == 503
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    assert PASSWORD not in await ready.text() + await metrics.text()


async def test_the_filter_builder_gets_the_redis_url_off_its_command_line(
    locked_redis: RedisServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reloader's child process builds from the password-protected Redis, and neither the
    arguments it was started with nor its /proc/<pid>/cmdline (readable by every user) hold
    the URL."""
    command_lines: list[str] = []
    spawn = asyncio.create_subprocess_exec

    async def watched_spawn(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        process = await spawn(*args, **kwargs)
        command_lines.append(" ".join(map(str, args)))
        with contextlib.suppress(OSError):  # while it runs; a child already gone shows ""
            command_lines.append(Path(f"/proc/{process.pid}/cmdline").read_text())
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", watched_spawn)
    redis = connect(locked_redis.url)
    keys = RedisKeys(VECTOR_CORP_ID, "secrets")
    reloader = FilterReloader(redis, keys, locked_redis.url, in_process_limit=0)
    try:
        await reloader.start()
        assert reloader.version == await WordLibrary(redis, keys).version() >= 0
        assert len(reloader.current) > 0  # the starter words, read by the child
    finally:
        await reloader.stop()
        await redis.aclose()
    assert command_lines and "bot.text.build" in command_lines[0]
    assert not any(PASSWORD in line for line in command_lines)
