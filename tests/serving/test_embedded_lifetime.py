"""The embedded Redis lives exactly as long as the run that started it, and a second run never
joins or damages the first: checked in the process table, with real `scrm-bot` processes."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.serving.support import (
    ROOT,
    alive,
    children_of,
    clean_environ,
    eventually,
    is_redis,
    serve_env,
)

BOT_URL = re.compile(r"机器人 (http://[0-9.:]+)")


def redis_children(pid: int) -> set[int]:
    return {child for child in children_of(pid) if is_redis(child)}


def demo(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", "0", *args],
        cwd=cwd,
        env=clean_environ() | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def demo_once(cwd: Path) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "demo", "--once", "--port", "0"],
        cwd=cwd,
        env=clean_environ() | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )


async def running_demo(cwd: Path) -> tuple[subprocess.Popen[str], str, int]:
    """A demo serving after its scenario: (process, bot URL, its embedded Redis pid)."""
    process = demo(cwd)
    assert process.stdout is not None
    lines: list[str] = []

    def read_until_serving() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("继续运行中"):
                return

    await asyncio.wait_for(asyncio.to_thread(read_until_serving), timeout=120)
    url = BOT_URL.search("".join(lines))
    assert url is not None, "".join(lines)[:500]
    [redis_pid] = redis_children(process.pid)
    return process, url.group(1), redis_pid


async def gone(pid: int) -> bool:
    return not alive(pid)


async def test_a_second_demo_in_the_same_folder_refuses_and_the_first_runs_on(
    tmp_path: Path,
) -> None:
    first, url, redis_pid = await running_demo(tmp_path)
    try:
        second = await demo_once(tmp_path)
        assert second.returncode == 1 and second.stdout == ""
        [line] = second.stderr.strip().splitlines()
        assert f"正被另一个 scrm-bot 进程（pid {first.pid}）使用" in line
        async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as answer:
            assert answer.status == 200  # the first one's Redis is whole and still its own
        assert alive(redis_pid) and first.poll() is None
    finally:
        first.terminate()
        await asyncio.to_thread(first.wait, 60)
    await eventually(lambda: gone(redis_pid), "the first demo's Redis stopped with it")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
async def test_the_embedded_redis_ends_with_its_demo(tmp_path: Path, sig: signal.Signals) -> None:
    process, _url, redis_pid = await running_demo(tmp_path)
    process.send_signal(sig)
    await asyncio.to_thread(process.wait, 60)
    await eventually(lambda: gone(redis_pid), f"the embedded Redis gone after {sig.name}")
    # the next run starts its own server in the folder, with the data kept
    again = await demo_once(tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]


def serve_environ(data_dir: Path) -> dict[str, str]:
    """A `serve` with the embedded Redis (no SCRM_REDIS_URL) in `data_dir`."""
    environ = serve_env("", "embedded", data_dir, PYTHONPATH=str(ROOT))
    del environ["SCRM_REDIS_URL"]  # the embedded one
    return environ


async def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=serve_environ(tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert f"无法在 127.0.0.1:{port} 上监听：已被占用" in line
    assert "serving" not in done.stderr
    assert not (tmp_path / "data" / "redis.log").exists()  # no Redis was started for nothing


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL])
async def test_serve_stops_its_redis_on_sighup_or_when_killed(
    tmp_path: Path, sig: signal.Signals
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=serve_environ(tmp_path / "data"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        async def serving() -> bool:
            return "serving WeCom callbacks" in (tmp_path / "serve.log").read_text()

        await eventually(serving, "serve logs serving", timeout=60)
        [redis_pid] = redis_children(process.pid)
        ready = f"http://127.0.0.1:{port}/readyz"
        async with aiohttp.ClientSession() as session, session.get(ready) as answer:
            assert answer.status == 200  # "serving" was said once Redis answered
        process.send_signal(sig)
        code = await asyncio.to_thread(process.wait, 60)
        assert code == (0 if sig == signal.SIGHUP else -signal.SIGKILL)  # SIGHUP drains
        await eventually(lambda: gone(redis_pid), f"the embedded Redis gone after {sig.name}")
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
