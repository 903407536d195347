"""The processes a soak run owns: its redis-server (restartable on the same port and AOF folder)
and `scrm-bot serve --workers N` (a supervisor and its workers, which can be SIGKILLed)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis as sync_redis
from redis.backoff import NoBackoff
from redis.retry import Retry

ROOT = Path(__file__).resolve().parents[2]
REDIS_BINARY = "/usr/bin/redis-server"
STOP_WAIT_SECONDS = 40.0  # above the supervisor's 25 s drain grace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """The live pids whose parent is `pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # the name (field 2) may hold spaces
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def rss_kb(pid: int) -> int | None:
    """VmRSS of `pid` in KiB from /proc/<pid>/status; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class RedisServer:
    """A redis-server of the soak's own: AOF with `appendfsync always`, no RDB snapshots."""

    def __init__(self, data_dir: Path, binary: str = REDIS_BINARY) -> None:
        self.data_dir = data_dir
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on the same port and folder as before (the AOF is loaded), ready when it
        answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.data_dir), "--appendonly", "yes"]
        command += ["--appendfsync", "always", "--save", "", "--daemonize", "no"]
        command += ["--logfile", str(self.data_dir / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = sync_redis.Redis(port=self.port, socket_timeout=1)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.ping() and not client.info("persistence").get("loading"):
                        return
                except sync_redis.RedisError:
                    pass
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on {self.port}")
                time.sleep(0.05)
        finally:
            client.close()

    def shutdown_nosave(self) -> None:
        """SHUTDOWN NOSAVE: the AOF is already fsynced on every write; no RDB is written."""
        client = sync_redis.Redis(port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
        try:
            client.shutdown(nosave=True)
        except sync_redis.ConnectionError:
            pass  # the server closes the connection as it exits
        finally:
            client.close()
        self._wait()

    def kill(self) -> None:
        """SIGKILL: whatever was not fsynced is lost (with `always`, nothing acknowledged)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        self._wait()

    def _wait(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=30)
            self.process = None


class BotServer:
    """`python -m bot serve --workers N` on 127.0.0.1:`port`, output kept in `log_path`."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path, workers: int) -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.process: asyncio.subprocess.Process | None = None
        self.command = [sys.executable, "-m", "bot", "--log-level", "WARNING", "serve"]
        self.command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]

    @property
    def pid(self) -> int:
        assert self.process is not None, "bot not started"
        return self.process.pid

    async def start(self, ready_within: float = 60.0) -> None:
        """Start the supervisor; returns once every worker runs and the port answers."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        await self.wait_ready(ready_within)

    async def wait_ready(self, ready_within: float) -> None:
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"scrm-bot exited: see {self.log_path}")
            if len(self.worker_pids()) == self.workers and await self._answers():
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(
            f"scrm-bot workers not ready in {ready_within:.0f} s: see {self.log_path}"
        )

    async def _answers(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        return True

    def worker_pids(self) -> list[int]:
        return children_of(self.pid) if self.process is not None else []

    def kill_worker(self) -> int:
        """SIGKILL the first worker; returns its pid (the supervisor starts a new one)."""
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError("no worker to kill")
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    async def stop(self) -> int | None:
        """SIGTERM the supervisor (it drains its workers); SIGKILL if it takes too long."""
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), STOP_WAIT_SECONDS)
        except TimeoutError:
            for pid in [*self.worker_pids(), self.pid]:
                os.kill(pid, signal.SIGKILL)
            return await self.process.wait()
