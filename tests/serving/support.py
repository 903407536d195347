"""A `scrm-bot serve --workers N` subprocess for tests: started, inspected, always cleaned up."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN

ROOT = Path(__file__).resolve().parents[2]
STOP_WAIT_SECONDS = 40.0  # above the supervisor's 25 s grace: a clean stop always fits


def clean_environ() -> dict[str, str]:
    """This process's environment without any SCRM_* or Prometheus setting of its own."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SCRM_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }


def serve_env(redis_url: str, key_prefix: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `scrm-bot serve` subprocess for the official test corp, its
    keys under `key_prefix`; `extra` adds or overrides `SCRM_*` settings."""
    return clean_environ() | {
        "SCRM_CORP_ID": VECTOR_CORP_ID,
        "SCRM_TOKEN": VECTOR_TOKEN,
        "SCRM_AES_KEY": VECTOR_AES_KEY,
        "SCRM_AGENT_ID": "1",
        "SCRM_AGENT_SECRET": "s",
        "SCRM_REDIS_URL": redis_url,
        "SCRM_KEY_PREFIX": key_prefix,
        "SCRM_DATA_DIR": str(data_dir),
        **extra,
    }


def children_of(pid: int) -> set[int]:
    """The pids whose parent is `pid` (from /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after the last ")"
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


def is_redis(pid: int) -> bool:
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class ServeProcess:
    """`python -m bot serve --workers N` on 127.0.0.1:`port`, its output kept in `log_path`."""

    def __init__(
        self,
        port: int,
        env: dict[str, str],
        log_path: Path,
        workers: int = 2,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None
        self.seen_workers: set[int] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "bot", "--log-level", "INFO", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers), *self.extra]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> set[int]:
        """The supervisor's live children but its embedded redis-server."""
        pids = {pid for pid in children_of(self.pid) if alive(pid) and not is_redis(pid)}
        self.seen_workers |= pids
        return pids

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def healthz_pid(self) -> int | None:
        """The pid of the worker answering a fresh connection, None when nothing answers."""
        connector = aiohttp.TCPConnector(force_close=True)
        try:
            async with (
                aiohttp.ClientSession(connector=connector) as session,
                session.get(f"{self.base_url}/healthz", timeout=aiohttp.ClientTimeout(2)) as r,
            ):
                return int((await r.json())["pid"]) if r.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def answering_pids(self, expected: set[int], attempts: int = 200) -> set[int]:
        """Ask /healthz over new connections until every pid in `expected` answered."""
        seen: set[int] = set()
        for _ in range(attempts):
            pid = await self.healthz_pid()
            if pid is not None:
                seen.add(pid)
            if expected <= seen:
                break
            await asyncio.sleep(0.01)
        return seen

    async def wait_ready(self, timeout: float = 30.0) -> set[int]:
        """Wait until `workers` workers run and each answered /healthz; returns their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the supervisor exited early:\n{self.log_tail()}")
            pids = self.worker_pids()
            if len(pids) == self.workers and await self.answering_pids(pids, 20) >= pids:
                return pids
            await asyncio.sleep(0.2)
        raise AssertionError(
            f"{self.workers} workers not serving in {timeout} s:\n{self.log_tail()}"
        )

    async def metric(self, line_start: str) -> float:
        """The value of the exposition line starting with `line_start` (0 when absent)."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.base_url}/metrics") as response,
        ):
            text = await response.text()
        for line in text.splitlines():
            if line.startswith(line_start + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stop(self) -> None:
        """SIGTERM, then SIGKILL whatever is left of the supervisor and its workers."""
        if self.process is None:
            return
        workers = self.seen_workers | self.worker_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


async def eventually(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0
) -> None:
    """Wait until `predicate` holds; fail naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


ACCEPTED = 'scrm_callbacks_total{result="accepted"}'
PID_RE = re.compile(r"\(pid (\d+)\)")
