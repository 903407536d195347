"""Running one `scrm-bot serve` process until SIGTERM or SIGINT, then draining it.

aiohttp's own signal handling cancels whatever is running when the signal comes. During
start-up that is a Redis call, and on Python 3.11 `asyncio.wait_for` (which redis-py uses to
send commands) can swallow a cancellation whose inner call has just finished: the start-up then
goes on and the process serves on, deaf to the one SIGTERM it got. So the signals only set a
flag here; a watcher started once the app is up turns it into aiohttp's `GracefulExit`, the
normal drain (requests, then the pipeline's grace period). A signal during start-up stops the
process right after it; a second signal while draining exits at once.

A worker of `serve --workers N` (`supervised`) also listens with SO_REUSEPORT and drains when
its supervisor is gone (SIGKILLed, OOM-killed), so no worker outlives it.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
from collections.abc import Callable

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from bot import heap
from bot.errors import StartError

log = logging.getLogger("scrm")

POLL_SECONDS = 0.2


class StopRequest:
    """Set by SIGTERM/SIGINT (and, for a supervised worker, by its supervisor's death)."""

    def __init__(self, parent: int | None) -> None:
        self.parent = parent
        self.requested = False
        self.draining = False

    def on_signal(self, signum: int) -> None:
        if self.draining:
            log.warning("%s again while draining: exiting now", signal.Signals(signum).name)
            os._exit(1)
        self.requested = True

    def due(self) -> bool:
        if self.parent is not None and os.getppid() != self.parent:
            log.warning("supervisor pid %d is gone: stopping this worker", self.parent)
            return True
        return self.requested


def _graceful_exit() -> None:
    raise GracefulExit()


def serve_app(
    app: web.Application,
    host: str,
    port: int,
    *,
    supervised: bool = False,
    header_timeout: float = 10.0,
    metrics_port: int = 0,
    on_serving: Callable[[], None] | None = None,
) -> None:
    """`web.run_app` with the stop handling described above; returns once drained.

    `header_timeout`: a connection must send a complete request head within this from when it
    opened (or since its last answer): aiohttp's keep-alive timer (since 3.14.4) runs from the
    connection's start and is not reset by bytes that trickle in, so a slow sender is cut off.
    `metrics_port`: a second listener on the same host (`bot.web.health.metrics_port_only`).
    `on_serving`: called once the app has started (Redis answers) and the port is bound."""
    loop = asyncio.new_event_loop()
    heap.enable()
    stop = StopRequest(os.getppid() if supervised else None)
    # SIGHUP (the terminal closed) stops as SIGTERM does: drained, the embedded Redis stopped
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.on_signal, sig)
    watcher: list[asyncio.Task[None]] = []

    async def watch() -> None:
        while True:  # polled: a flag and the parent pid give no notice
            await asyncio.sleep(POLL_SECONDS)
            if stop.due():
                break
        stop.draining = True
        loop.call_soon(_graceful_exit)  # raised from the loop, as aiohttp's own handler does

    async def started(_app: web.Application) -> None:
        # the last start-up step: from here a GracefulExit no longer lands inside start-up
        watcher.append(asyncio.create_task(watch(), name="stop-watcher"))
        heap.settle(collect=True)  # before the port listens: nothing waits on this collection

    async def cleanup(_app: web.Application) -> None:
        for task in watcher:
            task.cancel()

    app.on_startup.append(started)
    app.on_cleanup.append(cleanup)
    web.run_app(
        app,
        host=host,
        port=port,
        sock=listening_socket(host, metrics_port, supervised) if metrics_port else None,
        print=(lambda _message: on_serving()) if on_serving else None,
        access_log=None,
        handle_signals=False,
        reuse_port=supervised or None,
        keepalive_timeout=header_timeout,
        loop=loop,
    )


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A socket listening on `host`:`port` (shared by the workers of `serve --workers N`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class PortBusy(StartError, RuntimeError):
    """The port to serve on can't be listened on; the message (Chinese) says why."""


def check_free_port(host: str, port: int) -> None:
    """Refuse in one line, before anything starts, a port another process listens on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        reason = (
            "已被占用（是否已有一个 scrm-bot 在运行？）"
            if exc.errno == errno.EADDRINUSE
            else str(exc)
        )
        raise PortBusy(f"无法在 {host}:{port} 上监听：{reason}") from None
