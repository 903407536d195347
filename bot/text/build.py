"""`python -m bot.text.build PREFIX CORP_ID OUT < REDIS_URL`: build the filter in a child process.

Reads one snapshot of the word library, builds the filter and writes `(version, filter)` as a
pickle to OUT, for `FilterReloader` to load. The Redis URL comes on the first line of stdin:
it may hold a password, and a command line is readable by every user of the machine. (Stdin
rather than the environment: it is read once, and nothing the child starts inherits it.)
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
from pathlib import Path

from bot.keys import RedisKeys
from bot.storage.client import connect
from bot.text.library import WordLibrary


async def build(redis_url: str, prefix: str, corp_id: str, out: Path) -> None:
    redis = connect(redis_url)
    try:
        snapshot = await WordLibrary(redis, RedisKeys(corp_id, prefix)).snapshot()
    finally:
        await redis.aclose()
    data = pickle.dumps((snapshot.version, snapshot.build()), protocol=pickle.HIGHEST_PROTOCOL)
    partial = out.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, out)  # the reader never sees half a file


if __name__ == "__main__":
    os.nice(10)  # background work: the serving process comes first for the CPU
    key_prefix, corp, target = sys.argv[1:4]
    url = sys.stdin.readline().strip()
    asyncio.run(build(url, key_prefix, corp, Path(target)))
