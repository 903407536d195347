"""Redis for several apps in one process (one per corp): each gets its own client.

Every corp's app keeps its own connection pool, so one corp's load can't take the connections
another needs. What they share is the embedded server: it is started once per data folder,
for the first app that opens it, and stopped when the last one closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage.client import connect, open_redis
from bot.storage.topology import RedisClient


def _folder(data_dir: Path) -> Path:
    """The same folder however it was written (one embedded server per folder)."""
    return data_dir.resolve()


@dataclass
class _Server:
    url: str
    stack: AsyncExitStack
    users: int = 0


@dataclass
class SharedRedis:
    """Opens Redis for each app of the process; the embedded server is started only once."""

    _servers: dict[Path, _Server] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def open(self, url: str | None, data_dir: Path) -> AsyncIterator[tuple[RedisClient, str]]:
        """As `open_redis`: (client, url) — a client of the app's own, to a shared server."""
        if url is not None:
            async with open_redis(url, data_dir) as opened:
                yield opened
            return
        server_url = await self._acquire(data_dir)
        client = connect(server_url)
        try:
            yield client, server_url
        finally:
            await client.aclose()
            await self._release(data_dir)

    async def _acquire(self, data_dir: Path) -> str:
        folder = _folder(data_dir)
        async with self._lock:
            server = self._servers.get(folder)
            if server is None:
                stack = AsyncExitStack()
                # the holder's own client stays idle: it only keeps the server up
                _client, server_url = await stack.enter_async_context(open_redis(None, data_dir))
                server = self._servers[folder] = _Server(server_url, stack)
            server.users += 1
            return server.url

    async def _release(self, data_dir: Path) -> None:
        folder = _folder(data_dir)
        async with self._lock:
            server = self._servers[folder]
            server.users -= 1
            if server.users == 0:
                del self._servers[folder]
                await server.stack.aclose()
