"""`scrm-bot serve --workers 2` as a real subprocess: one port, two workers, the real Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.storage.client import connect
from tests.helpers import free_port
from tests.serving.support import (
    ACCEPTED,
    ROOT,
    ServeProcess,
    alive,
    clean_environ,
    environ_of,
    eventually,
)

CALLBACKS = 24
TOKEN = "SupervisorToken2026"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"


def bot_environ(
    sandbox: Sandbox, redis_url: str | None, key_prefix: str, data_dir: Path
) -> dict[str, str]:
    assert sandbox.base_url is not None
    env = clean_environ() | {
        "SCRM_CORP_ID": sandbox.corp_id,
        "SCRM_TOKEN": TOKEN,
        "SCRM_AES_KEY": AES_KEY,
        "SCRM_AGENT_ID": str(sandbox.agent_id),
        "SCRM_AGENT_SECRET": sandbox.app_secret,
        "SCRM_CONTACT_SECRET": sandbox.contact_secret,
        "SCRM_WECOM_API_BASE": sandbox.base_url,
        "SCRM_KEY_PREFIX": key_prefix,
        "SCRM_DATA_DIR": str(data_dir),
    }
    if redis_url is not None:
        env["SCRM_REDIS_URL"] = redis_url
    return env


@pytest.fixture
async def served(
    live_sandbox: Sandbox, redis_url: str, key_prefix: str, tmp_path: Path
) -> AsyncIterator[ServeProcess]:
    """Two workers on one port against the real Redis, the sandbox receiving their calls."""
    env = bot_environ(live_sandbox, redis_url, key_prefix, tmp_path / "data")
    bot = ServeProcess(free_port(), env, tmp_path / "serve.log")
    try:
        bot.start()
        await bot.wait_ready()
        live_sandbox.connect_bot(f"{bot.base_url}/wecom/callback", TOKEN, AES_KEY)
        yield bot
    finally:
        await asyncio.to_thread(bot.stop)


async def add_customers(sandbox: Sandbox, names: list[str]) -> None:
    results = await asyncio.gather(*(sandbox.customer_adds_staff("zhangsan", n) for n in names))
    for result in results:
        assert result.delivered, f"callback not accepted: {result.delivery}"


async def drained(redis_url: str, key_prefix: str, sandbox: Sandbox) -> bool:
    client = connect(redis_url)
    try:
        return int(await client.xlen(RedisKeys(sandbox.corp_id, key_prefix).events)) == 0
    finally:
        await client.aclose()


def welcomed_once(sandbox: Sandbox, names: list[str]) -> None:
    per_customer = {name: len(sandbox.welcomes(name)) for name in names}
    assert per_customer == dict.fromkeys(names, 1)


async def test_both_workers_answer_and_each_callback_is_handled_once(
    served: ServeProcess, live_sandbox: Sandbox, redis_url: str, key_prefix: str
) -> None:
    pids = served.worker_pids()
    assert len(pids) == 2 and served.pid not in pids
    assert await served.answering_pids(pids) == pids, "not every worker answered /healthz"

    names = [f"wmSup{n:03d}" for n in range(CALLBACKS)]
    await add_customers(live_sandbox, names)

    async def all_welcomed() -> bool:
        return len(live_sandbox.welcomes()) >= CALLBACKS

    await eventually(all_welcomed, f"{CALLBACKS} welcomes sent")
    await eventually(lambda: drained(redis_url, key_prefix, live_sandbox), "the stream drained")
    await asyncio.sleep(0.3)  # room for a duplicate to show, if there were one
    welcomed_once(live_sandbox, names)
    sends = live_sandbox.calls_to("externalcontact/send_welcome_msg")
    assert len(sends) == CALLBACKS
    # /metrics sums the workers: whichever answers, every accepted callback is counted once
    for _ in range(6):
        assert await served.metric(ACCEPTED) == CALLBACKS


async def test_a_killed_worker_is_restarted_then_sigterm_drains_all_and_exits_0(
    served: ServeProcess, live_sandbox: Sandbox, redis_url: str, key_prefix: str
) -> None:
    before = served.worker_pids()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)

    async def replaced() -> bool:
        now = served.worker_pids()
        return len(now) == 2 and victim not in now

    await eventually(replaced, f"worker {victim} replaced:\n{served.log_tail()}")
    after = served.worker_pids()

    async def both_answer() -> bool:  # a new worker takes seconds to start on a busy machine
        return await served.answering_pids(after, 20) >= after

    await eventually(both_answer, "the new worker answers /healthz")
    assert f"(pid {victim}) exited unexpectedly" in served.log_path.read_text()

    names = [f"wmAfter{n:03d}" for n in range(CALLBACKS // 2)]
    await add_customers(live_sandbox, names)

    async def all_welcomed() -> bool:
        return len(live_sandbox.welcomes()) >= len(names)

    await eventually(all_welcomed, "welcomes after the restart")
    await eventually(lambda: drained(redis_url, key_prefix, live_sandbox), "the stream drained")
    welcomed_once(live_sandbox, names)

    # SIGTERM to the supervisor: forwarded, every worker drains, the command exits 0
    assert served.process is not None
    served.process.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.to_thread(served.process.wait, 40)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running 40 s after SIGTERM:\n{served.log_tail()}") from None
    assert code == 0, served.log_tail()
    assert not [pid for pid in before | after if alive(pid)], "a worker outlived the supervisor"
    stopping = [line for line in served.log_path.read_text().splitlines() if "stopping" in line]
    for pid in after:
        assert any(f"(pid {pid})" in line for line in stopping), f"worker {pid} not stopped"


async def test_sigterm_during_start_up_still_stops_everything(
    live_sandbox: Sandbox, redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    # a cancelled Redis call can swallow aiohttp's start-up cancellation on Python 3.11: the
    # stop must wait for the start-up instead of getting lost in it
    env = bot_environ(live_sandbox, redis_url, key_prefix, tmp_path / "data")
    bot = ServeProcess(free_port(), env, tmp_path / "serve.log")
    try:
        bot.start()

        async def starting() -> bool:
            return bot.log_path.read_text().count("starting (role") == 2

        await eventually(starting, f"both workers starting:\n{bot.log_tail()}")
        workers = bot.worker_pids()
        bot.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        try:
            code = await asyncio.to_thread(bot.process.wait, 40)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            raise AssertionError(f"SIGTERM during start-up was lost:\n{bot.log_tail()}") from None
        assert code == 0, bot.log_tail()
        assert "still running: killing it" not in bot.log_path.read_text()
        assert not [pid for pid in workers if alive(pid)]
    finally:
        await asyncio.to_thread(bot.stop)


async def test_workers_stop_when_the_supervisor_is_killed(served: ServeProcess) -> None:
    workers = served.worker_pids()
    assert served.process is not None
    served.process.kill()
    served.process.wait()

    async def all_gone() -> bool:
        return not [pid for pid in workers if alive(pid)]

    await eventually(all_gone, f"workers {sorted(workers)} outlived their supervisor")


async def test_embedded_redis_is_started_once_for_all_workers_of_a_role(
    live_sandbox: Sandbox, tmp_path: Path
) -> None:
    env = bot_environ(live_sandbox, None, "embedded", tmp_path / "data")
    bot = ServeProcess(free_port(), env, tmp_path / "serve.log", extra=("--role", "worker"))
    try:
        bot.start()
        pids = await bot.wait_ready()
        async with (  # --role reaches every worker: a worker takes no callbacks
            aiohttp.ClientSession() as session,
            session.get(f"{bot.base_url}/wecom/callback") as response,
        ):
            assert response.status == 404
        urls = {environ_of(pid).get("SCRM_REDIS_URL") for pid in pids}
        assert len(urls) == 1, f"workers use different Redis servers: {urls}"
        [url] = urls
        assert url is not None and url.startswith("unix://")
        assert "SCRM_REDIS_URL" not in environ_of(bot.pid)
        assert bot.log_tail(200).count("embedded Redis running") == 1
        socket_path = url.removeprefix("unix://")
        bot.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        assert await asyncio.to_thread(bot.process.wait, 40) == 0  # type: ignore[union-attr]
        with pytest.raises(OSError), socket.socket(socket.AF_UNIX) as probe:
            probe.connect(socket_path)  # stopped last, once the workers are gone
    finally:
        await asyncio.to_thread(bot.stop)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_busy_port_is_refused_before_any_worker_starts(
    busy_port: int, redis_url: str, tmp_path: Path
) -> None:
    env = clean_environ() | {
        "SCRM_CORP_ID": "ww1436e0e65a779aee",
        "SCRM_TOKEN": TOKEN,
        "SCRM_AES_KEY": AES_KEY,
        "SCRM_AGENT_ID": "1000002",
        "SCRM_AGENT_SECRET": "secret",
        "SCRM_REDIS_URL": redis_url,
    }
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(busy_port), "--workers", "2"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "已有进程在监听" in done.stderr
    assert "worker 1 started" not in done.stderr
