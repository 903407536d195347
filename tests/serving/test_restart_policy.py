"""The supervisor's restart policy with stand-in workers (tiny Python commands), in-process."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.supervisor import Supervisor, SupervisorError, check_port, describe


def test_workers_that_keep_failing_at_start_make_it_give_up() -> None:
    crashing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    supervisor = Supervisor(crashing, 2, max_start_failures=3, backoff=0.01, backoff_max=0.05)
    with pytest.raises(SupervisorError, match="连续 3 次在启动后") as caught:
        supervisor.run()
    assert "最后一次：退出码 3" in str(caught.value) and "已放弃" in str(caught.value)
    assert supervisor.pids() == []


def test_a_worker_that_dies_later_is_restarted_and_sigterm_stops_all(tmp_path: Path) -> None:
    # each start appends a line; the first one dies after a moment, the others run until told
    starts = tmp_path / "starts"
    script = (
        "import pathlib, sys, time\n"
        f"p = pathlib.Path({str(starts)!r})\n"
        "first = not p.exists()\n"
        "with p.open('a') as f: f.write('x\\n')\n"
        "time.sleep(0.3 if first else 60)\n"
        "sys.exit(1 if first else 0)\n"
    )
    supervisor = Supervisor(
        [sys.executable, "-c", script], 1, startup_seconds=0.1, backoff=0.01, stop_grace=10
    )
    outcome: dict[str, int] = {}

    def stop_when_restarted() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if starts.exists() and len(starts.read_text().splitlines()) >= 2:
                break
            time.sleep(0.05)
        outcome["pids"] = len(supervisor.pids())
        os.kill(os.getpid(), signal.SIGTERM)  # handled by the supervisor, in the main thread

    watcher = threading.Thread(target=stop_when_restarted)
    watcher.start()
    code = supervisor.run()
    watcher.join()
    assert len(starts.read_text().splitlines()) >= 2, "the worker was not restarted"
    assert outcome["pids"] == 1
    assert code == 0  # the sleeping worker died of the forwarded SIGTERM within the grace
    assert supervisor.pids() == []


def test_a_worker_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    stubborn = [
        sys.executable,
        "-c",
        "import pathlib, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n",
    ]
    supervisor = Supervisor(stubborn, 1, stop_grace=0.5)

    def stop_when_ready() -> None:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=stop_when_ready)
    watcher.start()
    assert supervisor.run() == 1  # it had to be killed
    watcher.join()


def test_port_zero_is_refused() -> None:
    with pytest.raises(SupervisorError, match="--port"):
        check_port("127.0.0.1", 0)


def test_exit_statuses_read_as_words() -> None:
    assert describe(3) == "exit code 3"
    assert describe(-9) == "signal SIGKILL"
    assert describe(-9, chinese=True) == "信号 SIGKILL"
