"""`scrm-bot serve --workers N`: N worker processes on one port, kept running by a supervisor.

Each worker is an ordinary `scrm-bot serve` (callbacks, pipeline, scheduler, periodic jobs)
that binds the port with SO_REUSEPORT, so the kernel spreads connections across them. The
supervisor itself serves nothing: it starts the embedded Redis once when `SCRM_REDIS_URL` is
unset (and stops it last), starts the workers in a process group of their own, restarts one
that dies (backing off, and giving up when they keep dying at start), and on SIGTERM or SIGINT
forwards SIGTERM once and waits for them to drain — a second signal kills them at once.
Workers share one Prometheus multiprocess folder, so `/metrics` on any of them shows the
totals of all (see `bot.metrics`).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

from bot.config import Settings
from bot.errors import StartError
from bot.metrics import MULTIPROCESS_ENV
from bot.storage.client import EmbeddedRedis

log = logging.getLogger("scrm.supervisor")

STOP_GRACE_SECONDS = 25.0  # a worker's own drain: requests, then the pipeline's 10 s grace
STARTUP_SECONDS = 10.0  # a worker that dies sooner counts as failing at start
MAX_START_FAILURES = 5  # in a row, for one worker: then the supervisor gives up
BACKOFF_SECONDS = 0.5  # before a restart: doubled per failure at start, up to the maximum
BACKOFF_MAX_SECONDS = 10.0
POLL_SECONDS = 0.1


class SupervisorError(StartError, RuntimeError):
    """The workers cannot be started or kept running; the message says why (in Chinese)."""


def check_port(host: str, port: int) -> None:
    """Refuse early what would make every worker fail: no SO_REUSEPORT, a busy port."""
    if port == 0:
        raise SupervisorError("--workers 大于 1 时必须指定固定端口（--port 不能为 0）")
    if not hasattr(socket, "SO_REUSEPORT"):
        raise SupervisorError(
            "此平台不支持 SO_REUSEPORT，多个工作进程无法共用一个端口；"
            "请使用 --workers 1，在负载均衡后每个进程各用一个端口"
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:  # with SO_REUSEPORT another instance of ours would share the port silently
        with socket.create_connection((probe, port), timeout=0.5):
            raise SupervisorError(f"端口 {port} 上已有进程在监听（是否已有一个 scrm-bot 在运行？）")
    except OSError:
        pass
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise SupervisorError(f"无法在 {host}:{port} 上监听：{exc}") from exc


@dataclass
class Slot:
    """One worker position: its current process and how often it failed at start in a row."""

    number: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    last_exit: str = ""


def describe(code: int, *, chinese: bool = False) -> str:
    """A worker's exit status in words: `exit code 1`, `signal SIGKILL` (or `退出码 1`…)."""
    if code >= 0:
        return f"退出码 {code}" if chinese else f"exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    return f"信号 {name}" if chinese else f"signal {name}"


class Supervisor:
    """Keeps `workers` copies of `command` running until SIGTERM/SIGINT, then drains them."""

    def __init__(
        self,
        command: Sequence[str],
        workers: int,
        *,
        env: dict[str, str] | None = None,
        stop_grace: float = STOP_GRACE_SECONDS,
        startup_seconds: float = STARTUP_SECONDS,
        max_start_failures: int = MAX_START_FAILURES,
        backoff: float = BACKOFF_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.command = list(command)
        self.env = env
        self.stop_grace = stop_grace
        self.startup_seconds = startup_seconds
        self.max_start_failures = max_start_failures
        self.backoff, self.backoff_max = backoff, backoff_max
        self.slots = [Slot(number) for number in range(1, workers + 1)]
        self._stop_signal: int | None = None
        self._kill_now = False

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._stop_signal is not None:
            self._kill_now = True  # a second Ctrl-C: no more waiting
        self._stop_signal = signum

    def pids(self) -> list[int]:
        """The pids of the workers running now."""
        return [slot.process.pid for slot in self.slots if slot.process is not None]

    def run(self) -> int:
        """Supervise until told to stop; 0 when every worker drained within the grace period.

        Raises `SupervisorError` (after stopping the others) when one keeps dying at start.
        """
        handled = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        try:
            for slot in self.slots:
                self._start(slot)
            failure: str | None = None
            while self._stop_signal is None and failure is None:
                failure = self._check(time.monotonic())
                time.sleep(POLL_SECONDS)
            drained = self._drain()
            if failure is not None:
                raise SupervisorError(failure)
            return 0 if drained else 1
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self, slot: Slot) -> None:
        slot.started = time.monotonic()
        try:  # a group of their own: a terminal's Ctrl-C reaches only the supervisor
            slot.process = subprocess.Popen(self.command, env=self.env, process_group=0)
        except OSError as exc:
            log.error("worker %d could not be started: %s", slot.number, exc)
            slot.process, slot.restart_at = None, slot.started + self.backoff
            slot.last_exit = f"无法启动：{exc}"
            slot.failures += 1
            return
        log.info("worker %d started (pid %d)", slot.number, slot.process.pid)

    def _check(self, now: float) -> str | None:
        """Restart dead workers when their backoff is over; the give-up message, if any."""
        for slot in self.slots:
            process = slot.process
            if process is None:
                if slot.failures >= self.max_start_failures:
                    return (
                        f"工作进程 {slot.number} 连续 {slot.failures} 次在启动后"
                        f" {self.startup_seconds:.0f} 秒内退出（最后一次：{slot.last_exit}），"
                        "已放弃；请查看上面的日志"
                    )
                if now >= slot.restart_at:
                    self._start(slot)
                continue
            code = process.poll()
            if code is None:
                if slot.failures and now - slot.started >= self.startup_seconds:
                    slot.failures = 0  # it came up this time
                continue
            slot.process, slot.last_exit = None, describe(code, chinese=True)
            at_start = now - slot.started < self.startup_seconds
            slot.failures = slot.failures + 1 if at_start else 0
            delay = min(self.backoff * 2 ** max(slot.failures - 1, 0), self.backoff_max)
            slot.restart_at = now + delay
            log.warning(
                "worker %d (pid %d) exited unexpectedly (%s)%s",
                slot.number,
                process.pid,
                describe(code),
                f"; restarting in {delay:.1f} s" if slot.failures < self.max_start_failures else "",
            )
        return None

    def _drain(self) -> bool:
        """SIGTERM every worker, wait up to the grace period, then SIGKILL the late ones."""
        live = [slot for slot in self.slots if slot.process is not None]
        for slot in live:
            assert slot.process is not None
            log.info("stopping worker %d (pid %d)", slot.number, slot.process.pid)
            if slot.process.poll() is None:
                slot.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace
        processes = [slot.process for slot in live if slot.process is not None]
        while any(p.poll() is None for p in processes) and not self._kill_now:
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        late = [p for p in processes if p.poll() is None]
        for process in late:
            log.error("worker pid %d still running: killing it", process.pid)
            process.kill()
            process.wait()
        for slot in live:
            slot.process = None
        return not late


def serve_workers(
    settings: Settings, argv: Sequence[str], host: str, port: int, role: str, workers: int
) -> int:
    """Run `workers` copies of this `serve` command (`argv`) on one port; blocks until stopped."""
    check_port(host, port)
    env = dict(os.environ)
    metrics_dir = tempfile.mkdtemp(prefix="scrm-metrics-")
    env[MULTIPROCESS_ENV] = metrics_dir
    embedded: EmbeddedRedis | None = None
    try:
        if settings.redis_url is None:  # one embedded server for all, not one each
            embedded = EmbeddedRedis(settings.data_dir)
            env["SCRM_REDIS_URL"] = embedded.start()
        # the last --workers wins: every other option (and --config) is passed on as given
        command = [sys.executable, "-m", "bot", *argv, "--workers", "1", "--supervised"]
        log.info("supervisor pid %d: %d workers, role %s", os.getpid(), workers, role)
        return Supervisor(command, workers, env=env).run()
    finally:
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)
