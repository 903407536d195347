"""The process's Redis client and its bounded pool (one server, a Sentinel-managed master or a
Redis Cluster, see `bot.storage.url`), and the embedded Redis used when none is configured.

The embedded server (`bot.storage.embedded`) is a real redis-server child of this process with
AOF in the data folder, so configuration survives restarts and a newcomer needs nothing but
pip; one run owns a data folder at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from bot.storage.embedded import EmbeddedRedis, EmbeddedRedisError
from bot.storage.topology import RedisClient, connect_cluster, connect_sentinel, failover_retry
from bot.storage.url import parse_redis_url

__all__ = ["EmbeddedRedis", "EmbeddedRedisError", "connect", "open_redis"]
log = logging.getLogger(__name__)

# A stalled Redis must turn into a 503 well inside WeCom's 5 s callback deadline.
SOCKET_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 1.0
# Past this many connections a request waits (up to the socket timeout) for a free one
# instead of failing, so a burst queues rather than turning into 503s.
MAX_CONNECTIONS = 64


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
        url = await embedded.start_async()
    client = connect(url)
    try:
        yield client, url
    finally:
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
