"""A second worker process for the tests that check "exactly once with several workers": waits
for a start file, then runs one periodic job's work once through its own Redis connection and
WeCom client, and prints its result (an int).

    python -m tests.worker START_FILE MODULE:FUNCTION   (with the SCRM_* environment)

FUNCTION takes the handler context: e.g. `bot.fission.periodic:settle_rewards`.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from pathlib import Path

import aiohttp

from bot.config_file import load_settings
from bot.storage.client import open_redis
from bot.wecom import WeComClient
from tests.helpers import handler_context


async def main(start: Path, target: str) -> int:
    module, _, name = target.partition(":")
    work = getattr(importlib.import_module(module), name)
    settings = load_settings(None)
    async with (
        open_redis(settings.redis_url, settings.data_dir) as (redis, _url),
        aiohttp.ClientSession() as session,
    ):
        ctx = handler_context(settings, redis, WeComClient.from_settings(settings, session, redis))
        await asyncio.to_thread(_wait_for, start)
        return int(await work(ctx))


def _wait_for(start: Path) -> None:
    """Until the test says go (all workers start within a few milliseconds)."""
    deadline = time.monotonic() + 20
    while not start.exists() and time.monotonic() < deadline:
        time.sleep(0.002)


if __name__ == "__main__":
    print(asyncio.run(main(Path(sys.argv[1]), sys.argv[2])))
