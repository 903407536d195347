"""Keeps this process's filter in step with the word library, without ever blocking requests.

A change publishes the new version; the reloader rebuilds and swaps `current` in one
assignment, so a scan always sees a whole filter, old or new. Small libraries build in place
(milliseconds); large ones build in a child process (`python -m bot.text.build`) that writes a
pickle this process loads in tens of milliseconds: the event loop never stalls for the build,
and the build's heap churn stays out of the long-lived process. A poll every `poll_seconds`
covers a missed notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sys
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from bot import heap
from bot.background import stop_tasks
from bot.keys import RedisKeys
from bot.storage.url import redacted
from bot.text.filter import SensitiveFilter
from bot.text.library import WordLibrary
from bot.text.starter import seed_starter_words

log = logging.getLogger(__name__)

IN_PROCESS_LIMIT = 1000  # words; above this the build runs in a child process (5,000 took
# 0.1–0.35 s on the event loop: every callback waited that long)


class FilterReloader:
    """Owns `current`, the filter every scan in this process uses."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        redis_url: str,
        *,
        poll_seconds: float = 30.0,
        in_process_limit: int = IN_PROCESS_LIMIT,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self._redis_url = redis_url
        self._library = WordLibrary(redis, keys)
        self._poll_seconds = poll_seconds
        self._in_process_limit = in_process_limit
        self.current = SensitiveFilter.from_words([])
        self.version = -1
        self._task: asyncio.Task[None] | None = None
        self.reloaded = asyncio.Event()  # set after every swap; tests and the demo wait on it

    async def start(self) -> None:
        await seed_starter_words(self.redis, self.keys)
        # subscribed before the first build: a change made meanwhile is not missed, and the
        # loop task is never cancelled half-way through subscribing (redis-py can hang there)
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.keys.words_changed)
        try:
            await self.refresh()
        except (RuntimeError, ValueError) as exc:  # serve on; the loop below tries again
            log.error("sensitive-word filter not built at start-up: %s", exc)
        self._task = asyncio.create_task(self._run(pubsub), name="filter-reloader")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])

    async def refresh(self) -> bool:
        """Rebuild if the library moved on; True when a new filter was swapped in."""
        version = await self._library.version()
        if version == self.version:
            return False
        # a large library is neither read nor built here: the child does both. A small one is
        # decided again on the snapshot itself, as an import may add thousands of words
        # between the count and the read, and a large build on the loop stalls every callback
        snapshot = None
        if await self._library.size() <= self._in_process_limit:
            snapshot = await self._library.snapshot()
        if (
            snapshot is not None
            and len(snapshot.words) + len(snapshot.allow) <= self._in_process_limit
        ):
            built, version = snapshot.build(), snapshot.version
        else:
            built, version = await self._build_in_child()
        self.current, self.version = built, version
        heap.settle()  # a long-lived structure: out of the collector's full walks
        self.reloaded.set()
        log.info("sensitive-word filter v%d in use: %d words", version, len(built))
        return True

    async def _build_in_child(self) -> tuple[SensitiveFilter, int]:
        with tempfile.TemporaryDirectory(prefix="scrm-filter-") as workdir:
            out = Path(workdir) / "filter.pickle"
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.text.build",
                self.keys.prefix,
                self.keys.corp_id,
                str(out),
                stdin=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            # the URL (and any password in it) goes through a pipe, not the command line,
            # which every user of the machine can read (ps, /proc/<pid>/cmdline)
            _, stderr = await child.communicate(self._redis_url.encode() + b"\n")
            if child.returncode != 0:
                failure = stderr.decode(errors="replace").replace(
                    self._redis_url, redacted(self._redis_url)
                )
                raise RuntimeError(f"filter build failed: {failure[-500:]}")
            # our own child wrote this file a moment ago in our own temporary folder
            version, built = pickle.loads(out.read_bytes())
        return built, int(version)

    async def _run(self, pubsub: PubSub) -> None:
        try:
            while True:
                try:
                    await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self._poll_seconds
                    )
                    await _quiet(pubsub)  # an import's batches: one rebuild covers them all
                    await self.refresh()
                except (RedisError, OSError, RuntimeError, ValueError) as exc:
                    log.warning(
                        "sensitive-word filter not reloaded (keeping v%d): %s", self.version, exc
                    )
                    await asyncio.sleep(1.0)
        finally:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await asyncio.wait_for(pubsub.aclose(), timeout=2)


QUIET_SECONDS = 0.5  # no change for this long: the library has settled
QUIET_AT_MOST = 5.0


async def _quiet(pubsub: PubSub) -> None:
    """Drain change notices until none came for `QUIET_SECONDS` (at most `QUIET_AT_MOST`):
    an import announces each batch, and every rebuild of 50,000 words costs a child process
    seconds of CPU."""
    deadline = time.monotonic() + QUIET_AT_MOST
    while time.monotonic() < deadline:
        if not await pubsub.get_message(ignore_subscribe_messages=True, timeout=QUIET_SECONDS):
            return
