"""A worker process for the mass tests: waits for a start file, then makes the due mass-send
tasks once through its own Redis connection and WeCom client, and prints how many it made.

    python -m tests.mass.make_worker START_FILE   (with the SCRM_* environment)
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp

from bot.config_file import load_settings
from bot.mass.periodic import make_due
from bot.storage.client import open_redis
from bot.wecom import WeComClient
from tests.helpers import handler_context


async def main(start: Path) -> int:
    settings = load_settings(None)
    async with (
        open_redis(settings.redis_url, settings.data_dir) as (redis, _url),
        aiohttp.ClientSession() as session,
    ):
        ctx = handler_context(settings, redis, WeComClient.from_settings(settings, session, redis))
        await asyncio.to_thread(_wait_for, start)
        return await make_due(ctx)


def _wait_for(start: Path) -> None:
    """Until the test says go (all workers start within a few milliseconds)."""
    deadline = time.monotonic() + 20
    while not start.exists() and time.monotonic() < deadline:
        time.sleep(0.002)


if __name__ == "__main__":
    print(asyncio.run(main(Path(sys.argv[1]))))
