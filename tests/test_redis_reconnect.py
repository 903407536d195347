"""After Redis restarts, the pooled connections are stale: the next command still succeeds."""

from __future__ import annotations

from pathlib import Path

from bot.storage.client import connect
from tests.helpers import RedisServerProcess


async def test_the_first_command_after_a_restart_succeeds(tmp_path: Path) -> None:
    server = RedisServerProcess(tmp_path / "redis")
    server.start()
    client = connect(server.url)
    try:
        assert await client.set("kept", "1")  # leaves a connection in the pool
        server.kill()
        server.start()  # the same port and AOF: the value survives
        assert await client.get("kept") == "1"  # no ConnectionError from the stale connection
        assert await client.incr("counted") == 1  # and a write counts once
    finally:
        await client.aclose()
        server.kill()
